"""`casekb add`: bring the documents people have into the corpus, ready for `casekb build`.

Each document is read by the reader of its format (ingest.formats) and written into the
corpus as UTF-8 text in the layout of its kind, the file as received kept in originals/.
The text is cleaned and segmented exactly as the build will do it, so what `add` prints
is what the build will find. Everything is checked before anything is written; the new
manifest is validated by the manifest loader before one rename puts it in place, and a
failure removes what was written, so the corpus is never left half-added.
"""
import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest import IngestError
from ingest.clean import REPAIRS_FILE, RESIDUE_FILE, clean, load_repairs, load_residue, rejoins
from ingest.formats import Extracted, guards, read_document
from ingest.group import segment
from ingest.manifest import MANIFEST, load_manifest
from ingest.passages import join_blocks
from ingest.proposal import cases_layout, fold, propose_kind, script, title_of
from ingest.read import read_text
from ingest.segment import SOURCE_KINDS
from ingest.segment.documents import marked
from kbcore.schema import is_case

from .corpus_lock import corpus_lock

ORIGINALS = "originals"
ONE_DOCUMENT = ("id", "title", "url")    # options that name a single document
SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class Addition:
    """One document on its way into the corpus."""
    source: Path
    data: bytes
    doc: Extracted
    entry: dict             # the manifest entry, as written
    text: str               # the corpus text file
    documents: list[dict]   # what the build will segment it into
    notes: list[str] = field(default_factory=list)


def add(paths: list[Path], corpus: Path, options: dict, dry_run: bool = False) -> list[Addition]:
    """Read, check and (unless dry_run) add the documents; raises IngestError naming the file.
    One add at a time in a corpus: a second one waits (corpus_lock)."""
    with corpus_lock(Path(corpus)):
        return _add(paths, Path(corpus), options, dry_run)


def _add(paths: list[Path], corpus: Path, options: dict, dry_run: bool) -> list[Addition]:
    if len(paths) > 1 and any(options.get(k) for k in ONE_DOCUMENT):
        raise IngestError("--id, --title and --url describe one document: add the files one at a time")
    _check_options(options)
    entries = load_manifest(corpus)
    known = _contents(corpus)
    taken = {e["id"] for e in entries}
    number = _next_number(entries)
    books = _books(corpus, entries)
    if options.get("part_of") and options["part_of"] not in books:
        raise IngestError(f"--part-of: part_of {options['part_of']!r} is not a book in {corpus / MANIFEST}")
    additions = []
    for offset, path in enumerate(paths):
        addition = _prepare(Path(path), corpus, options, books, known, taken, number + offset)
        additions.append(addition)
        taken.add(addition.entry["id"])
        known[_digest(addition.data)] = known[_digest(addition.text.encode("utf-8"))] = addition.source
    _commit(corpus, additions, dry_run)
    return additions


def _check_options(options: dict) -> None:
    if options.get("kind") and options["kind"] not in SOURCE_KINDS:
        raise IngestError(f"--kind {options['kind']!r}: expected one of {', '.join(sorted(SOURCE_KINDS))}")
    if options.get("kind") and (needs := SOURCE_KINDS[options["kind"]].needs):
        raise IngestError(f"--kind {options['kind']}: kind {options['kind']} needs {', '.join(needs)}, which "
                          f"`casekb add` does not write: add such a source to {MANIFEST} by hand")
    for name, value in options.items():
        guards.check_name(f"--{name.replace('_', '-')}", "value", value)
    if options.get("id") and not SOURCE_ID.fullmatch(options["id"]):
        raise IngestError(f"--id {options['id']!r}: use letters, digits, '-', '_' or '.' (it becomes part of case ids)")


def _prepare(path, corpus, options, books, known, taken, number) -> Addition:
    guards.check_document(path)  # before a byte is read
    data = path.read_bytes()
    if (digest := _digest(data)) in known:
        raise IngestError(f"{path}: already in the corpus as {known[digest]} (same content)")
    doc = read_document(path)
    guards.check_text(path, "\n".join(text for _, text in doc.blocks))  # before the work on a text too large
    layout = cases_layout(doc)
    cases = _case_documents(corpus, layout)
    kind, part_of, notes = propose_kind(options, doc, cases, books)
    text = _layout(doc, kind, layout.lines, cases, books.get(part_of))
    guards.check_text(path, text)
    if (same_text := known.get(_digest(text.encode("utf-8")))) is not None:
        raise IngestError(f"{path}: its text is already in the corpus as {same_text}")
    stem = f"{number:03d}_{digest[:16]}"
    same = text.encode("utf-8") == data
    entry = {k: v for k, v in {
        "id": options.get("id") or _new_id(path, digest, taken),
        "file": f"{stem}.txt",
        "original": None if same else f"{ORIGINALS}/{stem}{path.suffix.lower()}",
        "format": doc.format,
        "title": options.get("title") or title_of(doc),
        "kind": kind, "part_of": part_of, "publisher": options.get("publisher"),
        "date": options.get("date") or doc.date, "url": options.get("url"), "script": script(text),
        "region": options.get("region"), "province": options.get("province"),
        "ocr_confidence": doc.ocr_confidence, "ocr_pages": doc.ocr_pages or None,
        "case_titles": layout.case_titles if kind == "cases" else None,
    }.items() if v}
    for key, value in entry.items():
        guards.check_name(path, key, value)
    if entry["id"] in taken:
        raise IngestError(f"{path}: source id {entry['id']!r} is already in {corpus / MANIFEST}; choose another --id")
    documents = _preview(corpus, entry, text)
    if kind != "book_cases":
        entry["expected_cases"] = sum(is_case(d["kind"]) for d in documents)
    return Addition(path, data, doc, entry, text, documents, notes)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _contents(corpus: Path) -> dict[str, Path]:
    """sha256 -> file, for every file already in the corpus (texts and originals)."""
    return {_digest(p.read_bytes()): p for p in sorted(corpus.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(corpus).parts)}


def _next_number(entries: list[dict]) -> int:
    """Corpus files are numbered 000_, 001_, …: the next free number."""
    numbers = [int(m.group(1)) for e in entries if (m := re.match(r"^(\d+)_", str(e["file"])))]
    return max(numbers, default=len(entries) - 1) + 1


def _new_id(path: Path, digest: str, taken: set) -> str:
    """The file name as an id when it is Latin ("zhangjiagang-2019"), else doc-<hash>."""
    base = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    base = base if len(base) >= 3 and re.search("[a-z]", base) else f"doc-{digest[:8]}"
    sid, k = base, 2
    while sid in taken:
        sid, k = f"{base}-{k}", k + 1
    return sid


# ---- kind and layout (proposed by ingest.proposal) ------------------------------------

def _case_documents(corpus: Path, layout) -> list[dict]:
    """The cases the `cases` segmenter finds in these lines (none: not a collection of cases)."""
    entry = {"id": "preview", "file": "preview.txt", "kind": "cases", "format": "preview",
             "case_titles": layout.case_titles}
    try:
        docs = _preview(corpus, entry, "\n".join(layout.lines))
    except IngestError:
        return []
    return [d for d in docs if d["kind"] == "collection_case"]


def _books(corpus: Path, entries: list[dict]) -> dict[str, dict[str, int]]:
    """Book id -> {folded case title: case number} from each book's table of contents."""
    books = {}
    for entry in entries:
        if entry["kind"] == "book":
            lines, _ = clean(read_text(entry["path"]), entry["file"], load_residue(corpus / RESIDUE_FILE),
                             load_repairs(corpus / REPAIRS_FILE).get(entry["file"], ()))
            books[entry["id"]] = {fold(d["title"]): d["number"] for d in segment(entry, lines)
                                  if d["kind"] == "book_case"}
    return books


def _layout(doc: Extracted, kind: str, case_lines: list[str], cases: list[dict], contents: dict | None) -> str:
    """The corpus text of the document in its kind's layout, one paragraph per line."""
    if kind == "cases":
        lines = case_lines
    elif kind == "book_cases" and cases and contents and all(fold(d["title"]) in contents for d in cases):
        lines = [doc.title or ""] + [line for d in cases for line in _book_case(d, contents[fold(d["title"])])]
    else:
        lines = ([doc.title] if doc.title else []) + [marked(level, text) for level, text in doc.blocks]
    return "\n".join(line for line in lines if line) + "\n"


def _book_case(doc: dict, number: int) -> list[str]:
    """A case in the book's layout: "12 title", its paragraphs, then 点评 and the comment."""
    comment = join_blocks(doc["comment_blocks"])[0]
    return [f"{number} {doc['title']}", join_blocks(doc["blocks"])[0]] + (["点评", comment] if comment else [])


def _preview(corpus: Path, entry: dict, text: str) -> list[dict]:
    """The documents the build will make of this text (the same cleaning and segmenter)."""
    lines, _ = clean(text, entry["file"], load_residue(corpus / RESIDUE_FILE), rejoin=rejoins(entry))
    return segment({**entry, "path": corpus / entry["file"], "case_regions": {}}, lines)


# ---- writing ----------------------------------------------------------------------------

def _commit(corpus: Path, additions: list[Addition], dry_run: bool) -> None:
    """Check the new manifest with the new files; then (unless dry_run) write the text files and
    originals and put the manifest in place with one rename. On any failure, none of them."""
    view = corpus / f".adding-{os.getpid()}"
    try:
        candidate = _checked(corpus, view, additions)
        if not dry_run:
            _write(corpus, additions, candidate)
    finally:
        shutil.rmtree(view, ignore_errors=True)


def _write(corpus: Path, additions: list[Addition], candidate: Path) -> None:
    written, originals = [], corpus / ORIGINALS
    made_originals = not originals.exists()
    try:
        for a in additions:
            for name, data in _files(a):
                (corpus / name).parent.mkdir(exist_ok=True)
                written.append(_create(corpus / name, data))
        os.replace(candidate, corpus / MANIFEST)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if made_originals and originals.exists() and not any(originals.iterdir()):
            originals.rmdir()
        raise


def _files(a: Addition) -> list[tuple[str, bytes]]:
    """(corpus-relative name, bytes) of the files an addition puts in the corpus."""
    return [(a.entry["file"], a.text.encode("utf-8"))] + (
        [(a.entry["original"], a.data)] if "original" in a.entry else [])


def _create(path: Path, data: bytes) -> Path:
    try:
        with path.open("xb") as f:
            f.write(data)
    except FileExistsError:
        raise IngestError(f"{path}: a file of this name is already in the corpus") from None
    return path


def _appended(manifest_text: str, additions: list[Addition]) -> str:
    """The manifest with the entries appended to `sources:` as YAML blocks; comments untouched."""
    blocks = []
    for a in additions:
        block = yaml.safe_dump([a.entry], allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
        blocks.append("".join("  " + line for line in block.splitlines(keepends=True)))
    return manifest_text.rstrip("\n") + "\n" + "".join("\n" + b for b in blocks)


def _checked(corpus: Path, view: Path, additions: list[Addition]) -> Path:
    """The new manifest, loaded by the manifest loader as the build will load it, in a view of
    the corpus with the new files (hard links, inside the corpus, so that the rename which puts
    the manifest in place is atomic); its last sources must be the new entries."""
    for folder, folders, names in os.walk(corpus):
        folders[:] = [f for f in folders if not f.startswith(".")]  # the view itself, a killed run's view
        for name in names:
            source = Path(folder) / name
            (view / source.relative_to(corpus)).parent.mkdir(parents=True, exist_ok=True)
            _link(source, view / source.relative_to(corpus))
    for a in additions:
        for name, data in _files(a):
            (view / name).parent.mkdir(exist_ok=True)
            _create(view / name, data)
    candidate = view / MANIFEST
    candidate.unlink()
    candidate.write_text(_appended((corpus / MANIFEST).read_text(encoding="utf-8"), additions), encoding="utf-8")
    try:
        entries = load_manifest(view)
    except IngestError as e:
        raise IngestError(str(e).replace(str(view), str(corpus))) from None
    if [e["id"] for e in entries[-len(additions):]] != [a.entry["id"] for a in additions]:
        raise IngestError(f"{corpus / MANIFEST}: the new entries would not be sources "
                          "(is `sources:` the last key of the file?)")
    return candidate


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


# ---- report -----------------------------------------------------------------------------

def describe(a: Addition, corpus: Path, dry_run: bool) -> str:
    """What was found and where it went, for the terminal."""
    e, doc = a.entry, a.doc
    cases = [d for d in a.documents if is_case(d["kind"])]
    found = [f"{a.source}: {'would add' if dry_run else 'added'} source {e['id']!r} ({e['title']})",
             "  format:   " + ", ".join(x for x in (doc.format, doc.encoding, doc.pages and f"{doc.pages} pages") if x)]
    if doc.ocr_pages:
        found.append(f"  OCR:      page(s) {', '.join(map(str, doc.ocr_pages))} read by OCR, mean confidence "
                     f"{doc.ocr_confidence:.3f} (recorded in the manifest; check the text)")
    found += [f"  script:   {e['script']}",
              f"  kind:     {e['kind']}" + (f" (part of {e['part_of']})" if e.get("part_of") else ""),
              f"  cases:    {len(cases)}"]
    found += [f"    {_label(d)}{d['title']}" for d in cases]
    others = [d for d in a.documents if not is_case(d["kind"])]
    found += [f"  also:     {d['title']} ({d['kind']})" for d in others]
    found += [f"  note:     {n}" for n in a.notes]
    files = [f"{corpus / e['file']} (text)"] + ([f"{corpus / e['original']} (original)"] if "original" in e else [])
    found.append("  files:    " + ", ".join(files) + (" — not written (dry run)" if dry_run else ""))
    return "\n".join(found)


def _label(doc: dict) -> str:
    return f"{doc['number']}. " if doc["number"] else ""
