"""`casekb build --embed-on ray[:ADDRESS]`: the build's embedding mapped over Ray (extra `casekb[cluster]`).

Only the texts the previous build lacks are embedded (index.embeddings.write_embeddings decides), in
the chunks a local build uses (index.encoders.EMBED_CHUNK), in order, each chunk by an actor holding
one single-threaded encoder on the path a local build takes (index.encoders.is_bulk), as a local worker
process does: the vectors are the local build's.

- `ray` alone starts a Ray on this machine for the build (BUILD_WORKERS CPUs, no dashboard) and stops
  it after; `ray:auto` joins the cluster this machine belongs to; `ray:HOST:PORT` or
  `ray:ray://HOST:10001` joins that cluster. Every node needs casekb installed, as here.
- One actor per CPU the cluster offers (at most one per chunk); progress is shown per chunk.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from index.encoders import EMBED_CHUNK, is_bulk, load_encoder
from kbcore.limits import BUILD_WORKERS
from kbcore.parallel import chunks

PREFIX = "ray"
Embed = Callable[[str, list[str]], np.ndarray]  # (spec, texts) -> vectors, as index.build.index_stage takes


class EmbedOn(NamedTuple):
    """Where a build embeds: locally (engine None) or on Ray at `address` (None: a Ray of its own)."""
    engine: str | None
    address: str | None


def parse_embed_on(value: str | None) -> EmbedOn:
    """`local`, `ray` or `ray:ADDRESS`; ValueError naming --embed-on otherwise."""
    value = (value or "local").strip()
    if value == "local":
        return EmbedOn(None, None)
    engine, _, address = value.partition(":")
    if engine != PREFIX or (_ and not address.strip()):
        raise ValueError(f"--embed-on: expected local, ray or ray:ADDRESS (e.g. ray:auto, ray:10.0.0.5:6379), "
                         f"not {value!r}")
    return EmbedOn(PREFIX, address.strip() or None)


def require_ray():
    """The ray module, or ImportError saying how to install it."""
    try:
        import ray
    except ImportError as e:
        raise ImportError(f"--embed-on ray needs Ray: pip install 'casekb[cluster]' ({e})") from None
    return ray


class ChunkEncoder:
    """A Ray actor's state: one encoder, loaded once, on one thread."""

    def __init__(self, spec: str, bulk: bool):
        self.encoder = load_encoder(spec, threads=1, bulk=bulk)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode(texts)


@contextmanager
def ray_embedder(address: str | None = None, actors: int | None = None, progress: bool = True,
                 chunk: int = EMBED_CHUNK, local_cpus: int = BUILD_WORKERS) -> Iterator[Embed]:
    """For the duration of a build: embed(spec, texts) -> (len(texts), dim) float32, the chunks encoded
    on Ray actors, in order. Ray is joined (or started) at the first call, once for all of the build's
    calls (its passages, then the search gate's background), and stopped at the end if started here."""
    ray = require_ray()
    started_here = False

    def embed(spec: str, texts: list[str]) -> np.ndarray:
        nonlocal started_here
        from ray.util import ActorPool
        from tqdm import tqdm
        parts = chunks(texts, chunk)
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        if not ray.is_initialized():
            options = {"address": address} if address else {"num_cpus": local_cpus}
            ray.init(**options, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
            started_here = True
        count = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        encoder = ray.remote(num_cpus=1)(ChunkEncoder)
        pool = ActorPool([encoder.remote(spec, is_bulk(texts)) for _ in range(min(count, len(parts)))])
        out = []
        with tqdm(total=len(texts), desc=f"embed on Ray ({spec})", unit="text", disable=not progress) as bar:
            for vectors in pool.map(lambda actor, part: actor.encode.remote(part), parts):
                out.append(vectors)
                bar.update(len(vectors))
        return np.concatenate(out)
    try:
        yield embed
    finally:
        if started_here:
            ray.shutdown()
