"""Source texts -> cleaned, segmented, tagged records -> SQLite (read, clean, segment, tag, write)."""


class IngestError(Exception):
    """Bad input: the message names the file (and line) so the user can fix it."""
