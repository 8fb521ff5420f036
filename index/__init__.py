"""FTS indexes, embeddings stored in the database, an in-memory FAISS index, and hybrid search
(index.search is the facade the rest of casekb uses)."""
