"""Reading and writing workflow files (YAML or JSON) with the line of every value.

Why not plain ``yaml.safe_load``/``safe_dump``:

* errors must point at a line (``shop.yaml:42: workflow 'process-order', actions[2].to: ...``),
  so parsing also records ``path → line`` for every key and item (``LineMap``);
* YAML 1.1 scalars surprise builders: a trigger's key ``on:`` reads as ``True``,
  ``12:30`` as 750 and ``2026-01-01`` as a date that JSON cannot store. Files are read
  with YAML 1.2's core scalars instead: only ``true``/``false`` are booleans, numbers are
  plain decimal (or ``0x``/``0o``) numbers, everything else is text;
* a key written twice is refused (YAML keeps the last one silently);
* what ``jsontext`` refuses in JSON text is refused here too, with its line: nesting
  deeper than ``jsontext.MAX_DEPTH`` (PyYAML recurses per level: a RecursionError a few
  hundred levels down) and lone surrogates (a ``"\\ud800"`` escape), which no database
  can store;
* exports should be readable and safe for any YAML reader: block style, unicode, literal
  blocks for multi-line text, no ``!!python`` tags, no ``&anchors``, and every text that
  some reader could take for something else quoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from . import jsontext

KeyPath = tuple[str | int, ...]

STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
#: Nodes visited while recording lines, aliases expanded: a guard against "billion laughs".
MAX_NODES = 200_000


class FileFormatError(Exception):
    """A file cannot be read as YAML/JSON; ``line`` is 1-based, or None when unknown."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class LineMap:
    """Where each value of a parsed document was written: ``("workflows", 0, "name") → 3``."""

    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest written ancestor (a missing key's parent)."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


# --- reading -----------------------------------------------------------------------------


class Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars: only these plain scalars are not text."""


for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),
):
    Resolver.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


class Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    Resolver,
):
    """``SafeLoader`` (no Python objects) with the YAML 1.2 ``Resolver``."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """PyYAML's, refusing lists and mappings nested deeper than ``jsontext.MAX_DEPTH``
        before its recursion does."""
        if not self.check_event(SequenceStartEvent, MappingStartEvent):
            return super().compose_node(parent, index)
        if self._depth >= jsontext.MAX_DEPTH:
            raise FileFormatError(jsontext.too_deep().message, _line(self.peek_event()))
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_int(loader: Loader, node: ScalarNode) -> int:
    value = str(loader.construct_scalar(node))
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    return int(value, 10)


Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _refuse(loader: Loader, node: Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, f"{node.tag} values cannot be stored (only JSON's kinds)", node.start_mark
    )


for _tag in ("timestamp", "binary", "set", "omap", "pairs"):
    Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse)


def load(text: str, *, json_syntax: bool = False) -> tuple[Any, LineMap]:
    """Parse one YAML (or, with ``json_syntax``, JSON) document; also say where things are.

    Raises ``FileFormatError`` for syntax errors, duplicate keys and unsafe documents.
    """
    if json_syntax:
        return _load_json(text)
    loader = None
    try:
        loader = Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, LineMap()
        lines = LineMap()
        _record(node, (), lines, set(), [0])
        data = loader.construct_document(node)
        try:
            jsontext.check(data)
        except jsontext.UnsafeJson as exc:
            raise FileFormatError(exc.message, lines.line(exc.path)) from None
        return data, lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p)
        line = mark.line + 1 if mark else None
        raise FileFormatError(f"not valid YAML: {message}", line) from None
    except yaml.YAMLError as exc:
        raise FileFormatError(f"not valid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _load_json(text: str) -> tuple[Any, LineMap]:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                raise FileFormatError(f"duplicate key {key!r}")
            seen[key] = value
        return seen

    try:
        data = jsontext.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except jsontext.UnsafeJson as exc:
        raise FileFormatError(exc.message, _refused_line(text)) from None
    except FileFormatError:
        load(text)  # a duplicate key: the YAML reader says on which line
        raise
    try:  # JSON is (nearly) YAML: its parser gives the lines, best effort
        _, lines = load(text)
    except FileFormatError:
        lines = LineMap()
    return data, lines


def _refused_line(text: str) -> int | None:
    """The line of what ``jsontext`` refused in JSON text: the YAML reader refuses the
    same and knows lines."""
    try:
        load(text)
    except FileFormatError as exc:
        return exc.line
    return None


def _record(
    node: Node, path: KeyPath, lines: LineMap, ancestors: set[int], count: list[int]
) -> None:
    """Walk the node tree: line of every path, duplicate keys, recursive or huge aliases."""
    count[0] += 1
    if count[0] > MAX_NODES:
        raise FileFormatError(f"the document has more than {MAX_NODES:,} values (aliases expanded)")
    if id(node) in ancestors:
        raise FileFormatError("a recursive alias (a value that contains itself)", _line(node))
    lines.lines.setdefault(path, _line(node))
    if isinstance(node, CollectionNode) and len(path) >= jsontext.MAX_DEPTH:
        # the composer refused deeper nesting; aliases inside anchors can still add up
        message = f"{jsontext.too_deep().message} (aliases expanded)"
        raise FileFormatError(message, lines.lines[path])
    if isinstance(node, SequenceNode):
        children: Iterator[tuple[str | int, Node, Node]] = (
            (i, item, item) for i, item in enumerate(node.value)
        )
    elif isinstance(node, MappingNode):
        children = _mapping_children(node)
    else:
        return
    ancestors.add(id(node))
    for key, where, child in children:
        lines.lines.setdefault((*path, key), _line(where))
        _record(child, (*path, key), lines, ancestors, count)
    ancestors.discard(id(node))


def _mapping_children(node: MappingNode) -> Iterator[tuple[str | int, Node, Node]]:
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
            continue  # merged mappings and complex keys: no line of their own to record
        key = key_node.value
        if key in seen:
            raise FileFormatError(
                f"duplicate key {key!r} (first written at line {seen[key]})", _line(key_node)
            )
        seen[key] = _line(key_node)
        yield key, key_node, value_node


def _line(node: Node | yaml.Event) -> int:
    return node.start_mark.line + 1


# --- writing -----------------------------------------------------------------------------


class Dumper(yaml.SafeDumper):
    """Block style, no anchors, literal blocks for multi-line text, careful quoting."""

    _writing_key = False  # is the scalar being written a mapping key?

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # lists indented under their key, as in the docs

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        value = self.event.value
        if style == "'" and '"' not in value and "\\" not in value:
            return '"'  # "{{ params.order }}", as docs/workflow-format.md writes them
        return style

    def serialize_node(self, node: Node, parent: Node | None, index: Any) -> None:
        self._writing_key = isinstance(parent, MappingNode) and index is None
        super().serialize_node(node, parent, index)

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        tag = super().resolve(kind, value, implicit)
        if kind is ScalarNode and implicit[0] and tag == STR_TAG:
            # Quote text our reader (YAML 1.2) would take for a number, a boolean...
            ours = _RESOLVER.resolve(kind, value, implicit)
            if ours != STR_TAG:
                return ours
        if kind is ScalarNode and implicit[0] and value == "on" and self._writing_key:
            # ... but write a trigger's key as ``on:``, which our reader reads as text
            # (a YAML 1.1 reader would not: other values "on" stay quoted).
            return STR_TAG
        return tag


_RESOLVER = Resolver()


def _represent_str(dumper: Dumper, value: str) -> ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar(STR_TAG, value, style="|")
    return dumper.represent_scalar(STR_TAG, value)


Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Readable YAML that ``load`` reads back the same (and so does any YAML reader, but
    for a YAML 1.1 reader's ``on:`` key)."""
    return yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=2,
        width=1000,
    )


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
