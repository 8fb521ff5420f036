"""Source texts -> cleaned, segmented, tagged records -> SQLite (read, clean, segment, tag, write)."""
from kbcore.rules import InputError as IngestError  # bad input: the message names the file (and line)

__all__ = ["IngestError"]
