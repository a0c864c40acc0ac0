"""Reading JSON text from outside: request bodies, JSON in a parameter, workflow files.

Python's ``json`` accepts two things that later fail as 500s instead of a clear 400:

* **deep nesting**: it recurses once per level and raises ``RecursionError`` (not
  ``ValueError``, so DRF's parser and every ``except ValueError`` let it through) near
  1,000 levels; anything that walks the value recursively afterwards (logging, rendering,
  the database driver) may fail the same way;
* **lone surrogates** (``"\\ud800"`` as an escape, without its pair): valid JSON syntax, but
  not Unicode text. PostgreSQL refuses them (a run's insert fails) and so does writing the
  response as UTF-8.

It also reads ``1e999`` as infinity, which no field stores (a 500 in the Data API), and
turns a whole number of more than 4,300 digits into an error naming a Python setting.
``loads`` refuses all of these, saying where; ``check`` does the same for a value parsed otherwise
(YAML files). Every place that decodes JSON text from outside goes through them
(docs/api.md, "Errors").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .exceptions import InvalidParameter

#: Containers (lists, objects) inside each other. Real payloads use a handful of levels;
#: the limit stays far below the interpreter's recursion limit, whoever walks the value.
MAX_DEPTH = 64

#: digits of a whole number: Python's own limit for text to ``int`` (its message names
#: a Python setting, no use to a caller)
MAX_DIGITS = 4300

#: keys and indexes from the top; YAML mappings may also have number or boolean keys
KeyPath = tuple[Any, ...]

_SURROGATE = re.compile("[\ud800-\udfff]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class UnsafeJson(ValueError):
    """JSON text refused though well-formed; ``path`` is where (keys and indexes)."""

    def __init__(self, message: str, path: KeyPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def loads(text: str | bytes, *, root: str = "$", **kwargs: Any) -> Any:
    """``json.loads(text, **kwargs)``, refusing what ``check`` refuses.

    Raises ``UnsafeJson`` (a ``ValueError``) for those, ``json.JSONDecodeError`` for
    malformed text; ``root`` names the whole value in messages (``constraints[0].value``).
    """
    kwargs.setdefault("parse_int", _whole_number)
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise too_deep() from None
    check(value, root=root)
    return value


def load_parameter(text: str, name: str, *, malformed: str = "not valid JSON") -> Any:
    """The value of JSON text given as the parameter ``name`` (``constraints=[...]``), or
    ``InvalidParameter`` naming it: ``<name>: <problem>``."""
    try:
        return loads(text, root=name)
    except UnsafeJson as exc:
        raise InvalidParameter(f"{name}: {exc}", parameter=name) from None
    except ValueError:
        raise InvalidParameter(f"{name}: {malformed}", parameter=name) from None


def _whole_number(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise UnsafeJson(f"a whole number longer than {MAX_DIGITS:,} digits")
    return int(digits)


def check(value: Any, *, root: str = "$") -> None:
    """Refuse containers nested deeper than ``MAX_DEPTH``, text (keys included) holding a
    surrogate code point, and numbers that are not finite (``1e999`` reads as infinity:
    no field can store it); walks without recursion, so any depth is safe to check."""
    # (value, depth of its container, link to the path: (parent link, key) or None)
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while stack:
        item, depth, link = stack.pop()
        if isinstance(item, str):
            if found := _SURROGATE.search(item):
                raise _surrogate(found.group(), _path(link), root)
        elif isinstance(item, float) and not math.isfinite(item):
            at = where(_path(link), root)
            raise UnsafeJson(f"the number at {at} is not finite (too large, or NaN)", _path(link))
        elif isinstance(item, Mapping):
            if depth >= MAX_DEPTH:
                raise too_deep(_path(link))
            for key, child in item.items():
                if isinstance(key, str) and (found := _SURROGATE.search(key)):
                    raise _surrogate(found.group(), _path((link, key)), root, in_key=True)
                stack.append((child, depth + 1, (link, key)))
        elif isinstance(item, list | tuple):
            if depth >= MAX_DEPTH:
                raise too_deep(_path(link))
            stack.extend((child, depth + 1, (link, i)) for i, child in enumerate(item))


def where(path: KeyPath, root: str = "$") -> str:
    """``("workflows", 0, "my key")`` → ``$.workflows[0]["my key"]``, safe to print."""
    parts = [root]
    for key in path:
        if isinstance(key, str) and _NAME.match(key):
            parts.append(f".{key}")
        elif isinstance(key, str):
            parts.append(f"[{_printable(json.dumps(key, ensure_ascii=False))}]")
        else:  # an index; YAML also allows numbers, booleans and null as keys
            parts.append(f"[{key!r}]")
    return "".join(parts)


def _path(link: Any) -> KeyPath:
    keys: list[Any] = []
    while link is not None:
        link, key = link
        keys.append(key)
    return tuple(reversed(keys))


def too_deep(path: KeyPath = ()) -> UnsafeJson:
    """The refusal of nesting deeper than ``MAX_DEPTH`` (other readers raise it too)."""
    return UnsafeJson(f"nested deeper than {MAX_DEPTH} levels", path)


def _surrogate(char: str, path: KeyPath, root: str, *, in_key: bool = False) -> UnsafeJson:
    """``path`` leads to the text, or for a key to its value: the message then names the
    key's object, as the key itself cannot be printed."""
    what = f"a key in {where(path[:-1], root)}" if in_key else f"the text at {where(path, root)}"
    message = f"{what} holds a lone surrogate (\\u{ord(char):04x}), not a Unicode character"
    return UnsafeJson(message, path)


def _printable(text: str) -> str:
    """Text safe to encode as UTF-8 (in an error message): surrogates as ``\\udxxx``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
