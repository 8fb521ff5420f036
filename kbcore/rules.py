"""YAML files people edit, read with line numbers, so that a mistake in one is reported as `file:line`.

The manifest, every rule file (residue, repairs, domains, domain terms, mechanisms, figures) and the
search's lexicon are read here: each mapping and list in them knows its file and the line of each
entry, `get` checks an entry's type and `check_keys` refuses a key the file may not hold, raising
InputError that names the place, never a KeyError or TypeError from deep inside a loader.
"""
import difflib
from pathlib import Path

import yaml


class InputError(Exception):
    """Bad input: the message names the file (and line) so the user can fix it (ingest.IngestError)."""


IngestError = InputError  # what the build's stages raise and the shell catches


class _Located:
    """Where a mapping or list read from a rule file, and each entry (by key or index), starts."""
    path: Path
    line: int
    lines: dict

    def where(self, key=None) -> str:
        """"file:line" of the entry, or of the mapping or list itself when the entry is absent."""
        return f"{self.path}:{self.lines.get(key, self.line)}"


class Mapping(_Located, dict):
    pass


class Sequence(_Located, list):
    pass


class _LineLoader(yaml.SafeLoader):
    """A safe loader building Mapping and Sequence; `path` is the file being read."""
    path: Path


def _located(cls, path: Path, line: int):
    data = cls()
    data.path, data.line, data.lines = path, line, {}
    return data


def _construct_mapping(loader, node):
    data = _located(Mapping, loader.path, node.start_mark.line + 1)
    yield data
    own = [k for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"]  # not those a `<<` brings in
    data.update(loader.construct_mapping(node))
    for key_node in own:
        key, line = loader.construct_object(key_node), key_node.start_mark.line + 1
        if key in data.lines:  # YAML would silently keep the last one: a rule lost without a word
            raise IngestError(f"{loader.path}:{line}: duplicate key {key!r} (first at line {data.lines[key]})")
        data.lines[key] = line


def _construct_sequence(loader, node):
    data = _located(Sequence, loader.path, node.start_mark.line + 1)
    yield data
    data.extend(loader.construct_sequence(node))
    data.lines = {i: item.start_mark.line + 1 for i, item in enumerate(node.value)}


def _construct_timestamp(loader, node):
    """A date as YAML reads it (2016-12-14); an impossible one (2015-02-30) names its line."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as e:
        raise IngestError(f"{loader.path}:{node.start_mark.line + 1}: date {node.value!r} is not a date "
                          f"({e}): expected YYYY, YYYY-MM or YYYY-MM-DD") from None


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def read_rules(path: Path, required: bool = True) -> Mapping:
    """The mapping a rule file holds (empty for an empty file, or a missing one that is not required)."""
    path = Path(path)
    if not path.exists():
        if required:
            raise IngestError(f"{path}: file not found")
        return _located(Mapping, path, 1)
    loader = _LineLoader(path.read_text(encoding="utf-8"))
    loader.path = path
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise IngestError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML: "
                          f"{getattr(e, 'problem', None) or e}") from None
    finally:
        loader.dispose()
    if data is None:
        return _located(Mapping, path, 1)
    if not isinstance(data, Mapping):
        raise IngestError(f"{path}:1: expected `key: value` entries at the top of the file")
    return data


def _is_text(value) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and bool(str(value).strip())


CHECKS = {  # what `get` can ask for: (test, how an error names it)
    "text": (_is_text, "a non-empty text"),
    "texts": (lambda v: isinstance(v, list) and bool(v) and all(map(_is_text, v)), "a non-empty list of texts"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "mapping": (lambda v: isinstance(v, dict), "a mapping of `key: value` entries"),
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
}
_REQUIRED = object()


def get(node: Mapping, key, kind: str, what: str | None = None, default=_REQUIRED):
    """node[key], checked to be of `kind` (one of CHECKS); an absent or null entry gives `default`
    if one is given. Errors read "file:line: <what>: <key> must be <kind>"."""
    value = node.get(key)
    if value is None and default is not _REQUIRED:
        return default
    test, description = CHECKS[kind]
    if not test(value):
        raise IngestError(f"{node.where(key)}: {what + ': ' if what else ''}{key} must be {description}")
    return value


def check_keys(node: Mapping, known, noun: str = "key") -> None:
    """Every key of node is one of `known`; an unknown one (a misspelt `pubisher:`) is refused at its line,
    naming the nearest known key, rather than dropped without a word."""
    for key in node:
        if key not in known:
            near = difflib.get_close_matches(str(key), [str(k) for k in known], n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"known {noun}s: {', '.join(map(str, known))}"
            raise IngestError(f"{node.where(key)}: unknown {noun} {key!r} ({hint})")


def mappings(node: Mapping, key, what: str) -> Sequence:
    """node[key] as a list of mappings (the sources, the domains, the mechanisms)."""
    items = get(node, key, "list")
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise IngestError(f"{items.where(i)}: each entry of {key} must be a mapping ({what})")
    return items


def unique(items: list[Mapping], key, what: str) -> None:
    """No two items share a value of `key`: two mechanisms with one id would silently become one."""
    first = {}
    for item in items:
        value = str(item[key]).strip()
        if value in first:
            raise IngestError(f"{item.where(key)}: {what} {value!r} is repeated (first at line {first[value]})")
        first[value] = item.lines[key]
