"""Which rule files a build reads: a corpus may bring its own beside it, `<corpus>/rules/NAME`, and
every rule file it does not bring is the package's default (ingest/NAME). A second corpus can so
have its own mechanisms, domains, domain terms and figure rules without touching the package; a
corpus without a rules/ folder builds as before.

`use_corpus(corpus_dir)` chooses the files once per build (ingest.group.start: in the build's process
and in each worker), and the loaders ask `rule_file(name)`.
"""
from pathlib import Path

RULES_DIR = "rules"
PACKAGE_DIR = Path(__file__).resolve().parent
RULE_NAMES = ("mechanisms.yml", "figures.yml", "domains.yml", "domain_terms.yml")
_chosen: dict[str, Path] = {}


def corpus_rule_files(corpus_dir: Path) -> dict[str, Path]:
    """{name: path} of each rule file the corpus brings (those in <corpus>/rules/)."""
    folder = Path(corpus_dir) / RULES_DIR
    return {name: folder / name for name in RULE_NAMES if (folder / name).is_file()}


def use_corpus(corpus_dir: Path | None) -> None:
    """Read the rules of this corpus from now on (None: the package's defaults)."""
    _chosen.clear()
    if corpus_dir is not None:
        _chosen.update(corpus_rule_files(corpus_dir))


def rule_file(name: str) -> Path:
    """The file the current build reads for `name` (one of RULE_NAMES)."""
    if name not in RULE_NAMES:
        raise KeyError(f"{name} is not a rule file ({', '.join(RULE_NAMES)})")
    return _chosen.get(name, PACKAGE_DIR / name)
