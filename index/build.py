"""The index stage of `casekb build`: FTS tables, then the embeddings (reusing the previous build's)."""
from pathlib import Path

from .embeddings import stored_vectors, write_embeddings
from .encoders import DEFAULT_SPEC, check_spec, load_encoder
from .fts import add_fts

BUILD_THREADS = 2  # a build may use both cores of the machine it was sized for


def index_stage(model: str = DEFAULT_SPEC, progress: bool = True, threads: int = BUILD_THREADS):
    """A callable for casekb.build.build: (db, previous) -> summary additions, where previous is the
    earlier database (or None) whose vectors are reused. An unknown model fails here, at once."""
    spec = check_spec(model)[0]

    def run(db, previous: Path | None):
        from tqdm import tqdm
        with tqdm(total=2, desc="index", unit="stage", disable=not progress) as bar:
            add_fts(db)
            bar.update()
            summary = write_embeddings(db, spec, stored_vectors(previous, spec),
                                       lambda texts: load_encoder(spec, threads).encode(texts))
            bar.update()
        return summary
    return run
