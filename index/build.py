"""The index stage of `casekb build`: FTS tables, then the embeddings and the search gate's background
(reusing the previous build's), then the vector index (index.vector_index: the FAISS factory, statistics,
an approximate index trained)."""
from pathlib import Path

from kbcore.limits import BUILD_WORKERS

from .embeddings import stored_vectors, write_embeddings
from .encoders import DEFAULT_SPEC, check_spec, encode_in_workers
from .fts import add_fts
from .gate import stored_background, write_background
from .vector_index import FLAT, check_factory, write_vector_index


def index_stage(model: str = DEFAULT_SPEC, progress: bool = True, threads: int = BUILD_WORKERS,
                index: str = FLAT, embed=None):
    """A callable for casekb.build.build: (db, previous) -> summary additions, where previous is the
    earlier database (or None) whose vectors are reused. `index` is the FAISS index factory string
    (`--index`). An unknown model or a factory string FAISS cannot parse fails here, at once.
    `embed(spec, texts)` embeds the texts that need it (default: encode_in_workers on `threads`
    processes; `casekb build --embed-on ray` passes casekb.cluster's)."""
    spec = check_spec(model)[0]
    factory = check_factory(index)
    embed = embed or (lambda spec, texts: encode_in_workers(spec, texts, threads))

    def run(db, previous: Path | None):
        from tqdm import tqdm
        with tqdm(total=3, desc="index", unit="stage", disable=not progress) as bar:
            summary = add_fts(db, previous)
            bar.update()
            encode = lambda texts: embed(spec, texts)  # noqa: E731
            summary |= write_embeddings(db, spec, stored_vectors(previous, spec), encode)
            write_background(db, spec, stored_background(previous, spec), encode)
            bar.update()
            summary.update(write_vector_index(db, factory, threads))
            bar.update()
        return summary
    return run
