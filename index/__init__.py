"""Embedding, FAISS and FTS indexes over the ingested passages, and hybrid search."""
