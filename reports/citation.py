"""References in GB/T 7714-2015 (信息与文献 参考文献著录规则), and the same references as BibTeX and RIS.

`gbt7714(Reference)` lays out one reference as the standard does (its examples are the tests):

    专著         陈登原. 国史旧闻: 第1卷[M]. 北京: 中华书局, 2000: 29.
    专著中的析出  程根伟. 1998年长江洪水的成因与减灾对策[M]//许厚泽, 赵其国. 长江流域洪涝灾害与科技对策.
                 北京: 科学出版社, 1999: 32-36.
    期刊         袁训来, 陈哲, 肖书海, 等. 蓝田生物群: …[J]. 科学通报, 2012, 55(34): 3219.
    报纸         丁文祥. 数字革命与竞争国际化[N]. 中国青年报, 2000-11-20(15).
    电子资源     萧钰. 出版业信息化迈入快车道[EB/OL]. (2001-12-19)[2002-04-15]. http://….

More than three authors: the first three and “等” (“et al.” for Latin names). A document without a
known author starts with its title (the standard allows this under the numeric system).

`case_reference(conn, case)` reads what the database knows of a case's source (sources table):
a case of the book is a contribution to it ([M]//editor. book. place: publisher, year: page), a case
of a journal feature cites the feature ([J]), an outlet whose name ends in 报 is a newspaper ([N]),
a web page or any source with a URL is [EB/OL] with the URL and the date it is cited on, anything
else is [Z]. Nothing is invented: a missing place of publication is written [出版地不详].
"""
import datetime
import re
import sqlite3
from dataclasses import dataclass, field

UNKNOWN_PLACE = "[出版地不详]"
_LATIN = re.compile(r"^[\x00-\x7f\u00c0-\u024f]+$")
_JOURNAL_ISSUE = re.compile(r"^《(?P<journal>[^》]+)》(?P<year>\d{4})年第(?P<issue>\d+)期(?:（(?P<author>[^）]+)）)?$")


@dataclass
class Reference:
    type: str                                   # M, J, N, EB, R, Z, C, G, D, S …
    title: str
    authors: list[str] = field(default_factory=list)
    online: bool = False                        # /OL: read on line (EB is always on line)
    container_authors: list[str] = field(default_factory=list)  # //editors of the book it is part of
    container_title: str = ""                   # //the book a contribution is part of
    serial: str = ""                            # journal or newspaper name
    place: str = ""
    publisher: str = ""
    year: str = ""
    volume: str = ""
    issue: str = ""
    date: str = ""                              # a newspaper's date; a web page's publication or update date
    pages: str = ""
    accessed: str = ""                          # 引用日期, YYYY-MM-DD
    url: str = ""
    key: str = ""                               # BibTeX key / RIS ID
    note: str = ""

    @property
    def code(self) -> str:
        return f"{self.type}/OL" if self.online or self.type == "EB" else self.type


def names(authors: list[str]) -> str:
    """At most three names, then 等 (or et al. after Latin names)."""
    authors = [a for a in authors if a]
    if len(authors) <= 3:
        return ", ".join(authors)
    return ", ".join(authors[:3]) + (", et al" if _LATIN.match(authors[2]) else ", 等")


def gbt7714(ref: Reference) -> str:
    """The reference laid out as GB/T 7714-2015 does, ending with a full stop."""
    head = f"{names(ref.authors)}. " if names(ref.authors) else ""
    text = f"{head}{ref.title}[{ref.code}]"
    if ref.container_title:
        editors = names(ref.container_authors)
        text += f"//{editors + '. ' if editors else ''}{ref.container_title}"
    if ref.type in ("J", "N"):
        text += f". {ref.serial}"
        if ref.type == "J":
            text += f", {ref.year}" if ref.year else ""
            text += f", {ref.volume}" if ref.volume else ""
            text += f"({ref.issue})" if ref.issue else ""
        else:
            text += f", {ref.date or ref.year}" + (f"({ref.pages})" if ref.pages else "")
        if ref.pages and ref.type == "J":
            text += f": {ref.pages}"
    elif ref.type == "EB" or (ref.online and not (ref.publisher or ref.place)):
        if ref.publisher:
            text += f". {ref.publisher}"
        if ref.date or ref.year:
            text += f". ({ref.date or ref.year})"
    else:
        imprint = ""
        if ref.publisher or ref.place:
            imprint = f"{ref.place or UNKNOWN_PLACE}: {ref.publisher}" if ref.publisher else ref.place
        if ref.year:
            imprint += (", " if imprint else "") + ref.year
        if ref.pages:
            imprint += f": {ref.pages}"
        if imprint:
            text += f". {imprint}"
    if ref.accessed and (ref.online or ref.type == "EB"):
        text += f"[{ref.accessed}]"
    if ref.url:
        text += f". {ref.url}"
    return text + "."


# --- the database's sources as references ------------------------------------------------------

def _year(date: str | None) -> str:
    return (date or "")[:4]


def _row(conn: sqlite3.Connection, sql: str, params) -> dict | None:
    cursor = conn.execute(sql, params)
    found = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], found)) if found else None


def source_type(source: dict) -> str:
    kind, publisher = source.get("kind") or "", source.get("publisher") or ""
    if kind in ("book", "book_cases"):
        return "M"
    if kind == "journal_feature" or _JOURNAL_ISSUE.match(publisher):
        return "J"
    if publisher.endswith("报"):
        return "N"
    if kind == "award_page" or source.get("url"):
        return "EB"
    return "Z"


def source_reference(source: dict, accessed: str | None = None) -> Reference:
    """The reference of a whole source (a pack's list of sources)."""
    kind = source_type(source)
    accessed = accessed or datetime.date.today().isoformat()
    publisher = source.get("publisher") or ""
    ref = Reference(type=kind, title=source["title"], key=source["id"], url=source.get("url") or "",
                    online=bool(source.get("url")))
    if kind == "M":
        ref.authors = [source["editor"]] if source.get("editor") else []
        ref.place, ref.publisher, ref.year = source.get("place") or "", publisher, _year(source.get("date"))
    elif kind == "J":
        issue = _JOURNAL_ISSUE.match(publisher)
        if issue:
            ref.serial, ref.year, ref.issue = issue["journal"], issue["year"], issue["issue"]
            ref.authors = [issue["author"]] if issue["author"] else []
        else:
            ref.serial, ref.year = publisher, _year(source.get("date"))
    elif kind == "N":
        ref.serial, ref.date = publisher, source.get("date") or ""
    elif kind == "EB":
        ref.authors = [publisher] if publisher else []
        ref.date = source.get("date") or ""
    else:
        ref.authors = [publisher] if publisher else []
        ref.year = _year(source.get("date"))
    if ref.online or kind == "EB":
        ref.accessed = accessed
    return ref


def case_reference(conn: sqlite3.Connection, case: dict, accessed: str | None = None) -> Reference:
    """The reference of one case (or preface, essay…): a part of a book cites the book it is in."""
    source = _row(conn, "select * from sources where id = ?", [case["source_id"]])
    if source and source.get("part_of"):  # case texts supplied apart from their book cite the book
        source = _row(conn, "select * from sources where id = ?", [source["part_of"]]) or source
    if source is None:
        return Reference(type="Z", title=case["title"], key=case["id"])
    ref = source_reference(source, accessed)
    ref.key = case["id"]
    if ref.type == "M":  # a contribution: the case, then //the book
        ref.container_authors, ref.container_title = ref.authors, ref.title
        ref.authors = [case["author"]] if case.get("author") else []
        ref.title = case["title"]
        ref.pages = str(case["page"]) if case.get("page") else ""
    elif ref.type == "EB" and case.get("title") and case["title"] not in ref.title:
        ref.title = case["title"]
    elif ref.type in ("J", "N") and case.get("title") and case["title"] not in ref.title:
        ref.container_authors, ref.container_title = ref.authors, ref.title  # the case, then //the feature
        ref.authors = [case["author"]] if case.get("author") else []
        ref.title = case["title"]
    return ref


def unique_references(refs: list[Reference], render) -> list[str]:
    """The rendered references, one per case, a reference already given not repeated."""
    return list(dict.fromkeys(render(ref) for ref in refs))


# --- BibTeX and RIS ------------------------------------------------------------------------------
# A field is one line of its record whatever a title holds (a Word file's properties, a file name): line and
# paragraph separators become spaces, so no value can end a record and start another.
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
# BibTeX counts braces whether or not a backslash precedes them: braces and backslashes are written as
# LaTeX commands, so every value's braces balance and the text reads the same.
_BIB_SPECIAL = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}", "\\": r"\textbackslash{}"}


def one_line(text) -> str:
    return _LINE_BREAKS.sub(" ", str(text)).strip()


def _bib_value(text: str) -> str:
    return "{" + re.sub(r"[{}\\]", lambda m: _BIB_SPECIAL[m.group()], one_line(text)) + "}"


def bibtex(ref: Reference) -> str:
    entry = {"M": "incollection" if ref.container_title else "book", "J": "article", "N": "article"}.get(
        ref.type, "misc")
    within = "、".join(filter(None, [names(ref.container_authors), ref.container_title]))
    part_of_serial = entry == "article" and ref.container_title  # a case of a journal feature: say which
    fields = [("author", " and ".join(ref.authors)), ("title", ref.title),
              ("booktitle", "" if part_of_serial else ref.container_title),
              ("editor", "" if part_of_serial else " and ".join(ref.container_authors)),
              ("journal", ref.serial), ("year", ref.year or _year(ref.date)), ("volume", ref.volume),
              ("number", ref.issue), ("pages", ref.pages.replace("-", "--")), ("publisher", ref.publisher),
              ("address", ref.place), ("date", ref.date), ("url", ref.url),
              ("urldate", ref.accessed if (ref.online or ref.type == "EB") else ""),
              ("note", ref.note or (f"载于：{within}" if part_of_serial else "")), ("langid", "chinese")]
    if entry == "misc" and ref.publisher and not ref.authors:
        fields.append(("howpublished", ref.publisher))
    body = ",\n".join(f"  {name} = {_bib_value(value)}" for name, value in fields if value)
    return f"@{entry}{{{re.sub(r'[^A-Za-z0-9_:.-]', '_', ref.key or 'ref')},\n{body}\n}}\n"


RIS_TYPES = {"M": "BOOK", "J": "JOUR", "N": "NEWS", "EB": "ELEC", "R": "RPRT", "C": "CONF", "D": "THES"}


def ris(ref: Reference) -> str:
    kind = "CHAP" if ref.type == "M" and ref.container_title else RIS_TYPES.get(ref.type, "GEN")
    lines = [("TY", kind)]
    lines += [("AU", a) for a in ref.authors]
    lines += [("TI", ref.title)]
    if ref.serial:  # a journal's or newspaper's name; the feature a case appears in is its tertiary title
        lines += [("T2", ref.serial)]
        lines += [("T3", ref.container_title)] + [("A3", a) for a in ref.container_authors]
    elif ref.container_title:
        lines += [("T2", ref.container_title)] + [("A2", a) for a in ref.container_authors]
    first, _, last = ref.pages.partition("-")
    lines += [("PY", ref.year or _year(ref.date)), ("DA", ref.date), ("VL", ref.volume), ("IS", ref.issue),
              ("SP", first), ("EP", last), ("PB", ref.publisher), ("CY", ref.place), ("UR", ref.url),
              ("Y2", ref.accessed if (ref.online or ref.type == "EB") else ""), ("N1", ref.note),
              ("LA", "zh"), ("ID", ref.key)]
    return "".join(f"{tag}  - {one_line(value)}\r\n" for tag, value in lines if one_line(value)) + "ER  - \r\n"
