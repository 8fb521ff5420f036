"""The build side of the vector index: the `--index` factory string checked, an approximate index
trained, and the `vector_index` row written beside the embeddings (statistics, search parameters and,
unless Flat, the serialised index). index.vectors loads what this writes.
"""
import os
import re
import sys
import tempfile
from contextlib import contextmanager

import faiss
import numpy as np

from .embeddings import from_blobs

FLAT = "Flat"  # exact inner product (IndexFlatIP): the default
FACTORY_HELP = ("a FAISS index factory string for an inner-product index: Flat (exact, the default), "
                "HNSW32 (a graph, exact scores), IVF256,Flat (inverted lists, exact scores) or IVF1024,PQ64 "
                "(inverted lists of compressed vectors: small, approximate scores), optionally followed by "
                "@ and search parameters, e.g. HNSW32@efSearch=512 or IVF1024,Flat@nprobe=64; see "
                "https://github.com/facebookresearch/faiss/wiki/The-index-factory")
# An IVF index trains its lists by k-means: FAISS asks for at least 39 training vectors a list, so a
# factory asking for more lists than the vectors can train gets fewer (the summary says so).
POINTS_PER_LIST = 39
# Search-time parameters of an approximate index, set at build time and stored with it (`--index
# FACTORY@params` sets others). HNSW explores max(efSearch, k) candidates (the retrievers ask for k = 100):
# 256 (128 found 0.84 of the dev queries' exact top 10 at 35k vectors, 256 0.965, 512 0.994 at twice the
# time); an IVF index scans nprobe of its lists: an eighth of them (IVF1024: 0.996 at 100k).
EF_SEARCH = 256
NPROBE_SHARE = 8
# Dimensions a factory string is tried with before any vector exists (the encoders' are 384 to 1024).
PROBE_DIMS = (512, 384, 768, 1024)
STAT_ROWS = 8192  # rows per float64 block when the covariance is summed at build time


def check_factory(factory: str | None) -> str:
    """The factory string ("FACTORY" or "FACTORY@search parameters"), checked before anything is
    built: ValueError naming `--index` if FAISS cannot parse it, it would not search by inner product
    or does not take the parameters. (Whether it fits the encoder's dimension and the number of
    vectors is known only at the index stage, which says so in the same words.)"""
    text = (factory or "").strip()
    name, parameters = split_factory(text)
    if name.lower() == FLAT.lower():
        if parameters:
            raise ValueError(f"--index {text!r}: Flat searches every vector and takes no search parameters")
        return FLAT
    if not name:
        raise ValueError(f"--index {text!r}: no factory string; give {FACTORY_HELP}")
    reasons = []
    for dim in PROBE_DIMS:
        try:
            index = faiss.index_factory(dim, name, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as e:
            reasons.append(faiss_reason(e))
            continue
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError(f"--index {text!r}: this FAISS index does not search by inner product (cosine "
                             f"on the unit vectors casekb stores); give {FACTORY_HELP}")
        _set_parameters(index, parameters, text)
        return f"{name}@{parameters}" if parameters else name
    raise ValueError(f"--index {text!r} is not a FAISS index factory string casekb can use "
                     f"({reasons[0]}); give {FACTORY_HELP}")


def split_factory(text: str) -> tuple[str, str]:
    """"IVF256,Flat@nprobe=16" -> ("IVF256,Flat", "nprobe=16")."""
    name, _, parameters = (text or "").partition("@")
    return name.strip(), ",".join(p.strip() for p in parameters.split(",") if p.strip())


def _set_parameters(index: faiss.Index, parameters: str, asked: str) -> None:
    try:
        if parameters:
            faiss.ParameterSpace().set_index_parameters(index, parameters)
    except RuntimeError as e:
        raise ValueError(f"--index {asked!r}: FAISS cannot set {parameters!r} on this index "
                         f"({faiss_reason(e)}); HNSW takes efSearch=N, IVF nprobe=N") from e


def fit_lists(factory: str, vectors: int) -> tuple[str, str | None]:
    """(factory with each IVF<lists> cut to what `vectors` can train, a note saying so or None)."""
    most = max(1, vectors // POINTS_PER_LIST)
    cut = []

    def fit(match):
        lists = int(match.group(1))
        if lists <= most:
            return match.group(0)
        cut.append(f"IVF{lists} -> IVF{most}")
        return f"IVF{most}"
    fitted = re.sub(r"(?<![A-Za-z])IVF(\d+)", fit, factory)
    note = (f"{', '.join(cut)}: {vectors:,} vectors train at most {most} lists "
            f"({POINTS_PER_LIST} a list, as FAISS asks)") if cut else None
    return fitted, note


def build_index(matrix: np.ndarray, factory: str, threads: int = 1) -> tuple[faiss.Index, str, str, str | None]:
    """(trained index holding every row of matrix, the factory used, its search parameters, a note or
    None) for a factory string check_factory() accepted (its parameters after @, or the defaults).
    ValueError naming `--index` if FAISS cannot make it for these vectors (a dimension PQ cannot
    split, too few vectors to train a quantiser)."""
    n, dim = matrix.shape
    name, parameters = split_factory(factory)
    used, note = fit_lists(name, n)
    try:
        index = faiss.index_factory(dim, used, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as e:
        raise ValueError(f"--index {factory!r}: FAISS cannot make it for the encoder's {dim}-dimensional "
                         f"vectors ({faiss_reason(e)}); give {FACTORY_HELP}") from e
    faiss.omp_set_num_threads(threads)
    try:
        with _faiss_warnings():
            index.train(matrix)
            index.add(matrix)
    except RuntimeError as e:
        raise ValueError(f"--index {factory!r}: FAISS could not train it on {n:,} vectors ({faiss_reason(e)}); "
                         "a library this small is searched fast enough by Flat (exact), or try HNSW32") from e
    _set_parameters(index, parameters, factory)
    return index, used, parameters or default_parameters(index), note


def default_parameters(index: faiss.Index) -> str:
    """The search-time parameters for an index (FAISS ParameterSpace syntax, e.g. "nprobe=32"), set
    at load time: the ones it takes of efSearch (HNSW) and nprobe (IVF)."""
    wanted = [f"efSearch={EF_SEARCH}"]
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        wanted.append(f"nprobe={max(1, min(ivf.nlist, -(-ivf.nlist // NPROBE_SHARE)))}")
    space, taken = faiss.ParameterSpace(), []
    for parameter in wanted:
        try:
            space.set_index_parameters(index, parameter)
        except RuntimeError:
            continue  # not a parameter of this index
        taken.append(parameter)
    return ",".join(taken)


def statistics(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, covariance) of the rows in float64, as np.cov(bias=True), summed in blocks (bounded memory)."""
    n, dim = matrix.shape
    blocks = range(0, n, STAT_ROWS)
    mean = sum(matrix[start:start + STAT_ROWS].astype(np.float64).sum(axis=0) for start in blocks) / max(n, 1)
    cov = np.zeros((dim, dim))
    for start in blocks:
        block = matrix[start:start + STAT_ROWS].astype(np.float64) - mean
        cov += block.T @ block
    return np.asarray(mean, dtype=np.float64).reshape(dim), cov / max(n, 1)


def write_vector_index(db, factory: str = FLAT, threads: int = 1) -> dict:
    """Write the `vector_index` row of db (a sqlite_utils.Database whose embeddings are written):
    the statistics and, unless Flat, the trained index. Returns the build summary's additions:
    index_factory (as served, with its search parameters: "HNSW32@efSearch=256") and index_note
    (what was changed, if anything)."""
    conn = db.conn
    models = [m for (m,) in conn.execute("select distinct model from embeddings")]
    if len(models) != 1:
        return {}  # nothing embedded (or a mix, which load_vectors refuses)
    matrix = from_blobs([b for (b,) in conn.execute("select embedding from embeddings order by id")])
    mean, cov = statistics(matrix)
    used, parameters, blob, note = FLAT, "", None, None
    if check_factory(factory) != FLAT:
        index, used, parameters, note = build_index(matrix, factory, threads)
        blob = faiss.serialize_index(index).tobytes()
    db.table("vector_index").insert({
        "id": 1, "model": models[0], "factory": used, "vectors": len(matrix), "dim": matrix.shape[1],
        "search_parameters": parameters, "mean": mean.astype("<f8").tobytes(),
        "covariance": cov.astype("<f8").tobytes(), "faiss_index": blob})
    served = f"{used}@{parameters}" if parameters else used  # as `--index` takes it
    return {"index_factory": served, **({"index_note": note} if note else {})}


def faiss_reason(error: Exception) -> str:
    """The words of a FAISS error, without its C++ file, line and function."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", text)
    return re.sub(r"^'.*?' failed: ", "", text).strip()


@contextmanager
def _faiss_warnings():
    """FAISS prints a warning per k-means it runs on few points (a PQ64 on a small library: 64 times the
    same line) straight to file descriptor 2: each distinct line is passed on once."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = dict.fromkeys(caught.read().decode("utf-8", "replace").splitlines())
            for line in lines:
                if line.strip():
                    print(f"faiss: {line}", file=sys.stderr)
