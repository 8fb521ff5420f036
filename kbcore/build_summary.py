"""What a build did, as one typed record: the ingest stage fills its part (ingest.pipeline), the index
stage's counts are added by name (index.build), casekb.build adds the rest; the CLI prints it and
build_info stores part of it. A name that is not a field is refused, so a stage cannot add a count
that no reader knows about."""
import dataclasses
from dataclasses import dataclass, field


@dataclass
class BuildSummary:
    # ingest (ingest.pipeline.summarise): what the database holds
    sources: int = 0
    cases: int = 0                   # real cases (kbcore.schema.CASE_KINDS)
    other_documents: int = 0         # prefaces, essays, introductions
    passages: int = 0
    title_only_cases: int = 0
    residue_removed: dict = field(default_factory=dict)  # source id -> {cleaning rule: count}
    kinds: dict = field(default_factory=dict)            # document kind -> count
    # ingest: what was reused from the previous build
    reused_sources: int = 0
    fingerprints: dict | None = None  # what a rebuild compares (build_info.fingerprints)
    redone: list = field(default_factory=list)  # what was worked out again, in words
    # index (index.build): None when the build had no index stage
    segmented: int | None = None         # texts cut for FTS
    segments_reused: int | None = None   # cut texts copied from the previous build
    model: str | None = None
    vectors: int | None = None
    embedded: int | None = None
    reused: int | None = None
    index_factory: str | None = None
    index_note: str | None = None
    # casekb.build
    stale_removed: list = field(default_factory=list)  # (file name, bytes) of killed builds' leftovers
    previous_database: str | None = None
    seconds: float | None = None

    def add(self, counts: dict) -> None:
        """Set fields from a stage's {name: value}; an unknown name is a programming error."""
        unknown = set(counts) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"BuildSummary has no field {', '.join(sorted(unknown))}")
        for name, value in counts.items():
            setattr(self, name, value)

    def __getitem__(self, name: str):
        """Read as the dict it used to be (bench scripts): summary["cases"]."""
        return getattr(self, name)

    def get(self, name: str, default=None):
        value = getattr(self, name, None)
        return default if value is None else value
