"""Escaped HTML for logged values and links, shared by the Runs log and the Run now page.

Run inputs, outputs and results are user data: everything here goes through
``format_html`` (which escapes its arguments); nothing user-supplied is marked safe.

``Values`` shows a logged value as a builder reads it rather than as JSON: a thing (logged
as ``{_type, _id, _display}``) as its text, linking to its admin page when the viewer may
open it; a list as a short table; an object as a table of its keys; long text folded; a
file as a link; a masked secret as such. The raw JSON stays one click away on the page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.contrib.admin.utils import quote
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..masking import MASK


def json_text(value: Any) -> str:
    """``value`` as indented JSON text (unescaped; templates and format_html escape it)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def pretty_json(value: Any) -> SafeString | str:
    """A ``<pre>`` block of indented JSON, escaped; "-" for nothing."""
    if value is None:
        return "-"
    return format_html('<pre class="wf-json">{}</pre>', json_text(value))


def admin_link(obj: Any, text: Any = None) -> SafeString | str:
    """A link to ``obj``'s admin change page, its text escaped; "-" for nothing."""
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def duration(ms: float | None) -> str:
    """A duration in milliseconds as people read it: ``3.98 ms``, ``1,234.57 ms``; "-" for
    none (a run still going, a step that did not run)."""
    return "-" if ms is None else f"{ms:,.2f} ms"


# --- logged values as a builder reads them ------------------------------------------------

#: text longer than this, or of more lines, is folded (its start shown)
FOLD_CHARS = 300
FOLD_LINES = 6
SUMMARY_CHARS = 100
#: rows and columns of a list's table; deeper values than ``MAX_DEPTH`` are shown as JSON
MAX_ROWS = 20
MAX_COLUMNS = 6
MAX_DEPTH = 4
FILE_KEYS = frozenset({"url", "name", "size", "content_type"})


def is_thing_reference(value: Any) -> bool:
    """Whether ``value`` is how the run log writes a thing: ``{_type, _id, _display}``."""
    return isinstance(value, Mapping) and "_type" in value and "_id" in value


def _is_file(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == FILE_KEYS


class Values:
    """Renders logged values for one viewer (``request``) of one admin site: whether a
    thing links to its admin page depends on the viewer's permissions, looked up once per
    data type."""

    def __init__(self, request: HttpRequest, admin_site: Any):
        self.request = request
        self.admin_site = admin_site
        self._admins: dict[str, Any] = {}

    def html(self, value: Any, depth: int = 0) -> SafeString:
        if value is None:
            return format_html('<span class="wf-empty">{}</span>', "empty")
        if isinstance(value, bool):
            return format_html("{}", "yes" if value else "no")
        if isinstance(value, int | float):
            return format_html('<span class="wf-number">{}</span>', value)
        if isinstance(value, str):
            return self.text(value)
        if depth >= MAX_DEPTH:
            return format_html('<code class="wf-json-inline">{}</code>', _compact(value))
        if is_thing_reference(value):
            return self.thing(value)
        if _is_file(value):
            return self.file(value)
        if isinstance(value, Mapping):
            return self.mapping(value, depth)
        if isinstance(value, list | tuple):
            return self.sequence(list(value), depth)
        return format_html("{}", str(value))

    # --- scalars ----------------------------------------------------------------------

    def text(self, value: str) -> SafeString:
        if value == MASK:
            return format_html('<span class="wf-masked">{}</span>', "secret, hidden")
        if value == "":
            return format_html('<span class="wf-empty">{}</span>', "empty text")
        lines = value.count("\n") + 1
        if len(value) <= FOLD_CHARS and lines <= FOLD_LINES:
            return format_html('<span class="wf-text">{}</span>', value)
        first = value.split("\n", 1)[0][:SUMMARY_CHARS]
        return format_html(
            '<details class="wf-fold"><summary><span class="wf-text">{}</span>… '
            '<span class="wf-size">({} characters, {} lines)</span></summary>'
            '<div class="wf-text wf-long">{}</div></details>',
            first,
            f"{len(value):,}",
            f"{lines:,}",
            value,
        )

    # --- things and files -------------------------------------------------------------

    def may_see(self, label: str) -> bool:
        """Whether the viewer may open data type ``label`` in the admin: only then are its
        things' names shown (as the thing pickers do), else their type and id. A superuser
        sees every name, those of data types gone since included."""
        return self.request.user.is_superuser or self._admin_of(label) is not None

    def redacted(self, value: Any) -> Any:
        """``value`` without the names of things the viewer may not see (for its raw
        JSON): ``_display`` left out of those things' references, at any depth."""
        if is_thing_reference(value):
            if self.may_see(str(value.get("_type", ""))):
                return value
            return {k: self.redacted(v) for k, v in value.items() if k != "_display"}
        if isinstance(value, Mapping):
            return {k: self.redacted(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redacted(v) for v in value]
        return value

    def json(self, value: Any) -> str:
        """``value``'s raw JSON as this viewer may read it ("" for nothing)."""
        return "" if value is None else json_text(self.redacted(value))

    def thing(self, value: Mapping[str, Any]) -> SafeString:
        label, pk = str(value.get("_type", "")), value.get("_id")
        named = value.get("_display") if self.may_see(label) else None
        shown = named or f"{label} {pk}"
        url = self.thing_url(label, pk)
        kind = format_html('<span class="wf-type">{}</span>', label)
        if url is None:
            return format_html('<span class="wf-thing">{} {}</span>', shown, kind)
        return format_html('<a class="wf-thing" href="{}">{}</a> {}', url, shown, kind)

    def thing_url(self, label: str, pk: Any) -> str | None:
        """The admin page of thing ``pk`` of data type ``label``, if the viewer may open it."""
        if pk is None or pk == "":
            return None
        model_admin = self._admin_of(label)
        if model_admin is None:
            return None
        opts = model_admin.model._meta
        try:
            return reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[quote(str(pk))],
            )
        except NoReverseMatch:
            return None

    def _admin_of(self, label: str) -> Any:
        if label not in self._admins:
            self._admins[label] = self._find_admin(label)
        return self._admins[label]

    def _find_admin(self, label: str) -> Any:
        from .. import data_types

        try:
            model = data_types.get_model(label)
        except Exception:  # noqa: BLE001 - a type gone or renamed since: shown, not linked
            return None
        model_admin = self.admin_site._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(self.request):
            return None
        return model_admin

    def file(self, value: Mapping[str, Any]) -> SafeString:
        url, name = str(value.get("url") or ""), value.get("name") or value.get("url")
        size = value.get("size")
        extra = f" ({size:,} bytes)" if isinstance(size, int) else ""
        if url.startswith(("https://", "http://", "/")):
            return format_html(
                '<a class="wf-file" href="{}" rel="noopener noreferrer">{}</a>{}', url, name, extra
            )
        return format_html('<span class="wf-file">{}</span>{}', name, extra)

    # --- containers -------------------------------------------------------------------

    def mapping(self, value: Mapping[str, Any], depth: int) -> SafeString:
        if not value:
            return format_html('<span class="wf-empty">{}</span>', "no keys")
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td></tr>',
            ((key, self.html(item, depth + 1)) for key, item in value.items()),
        )
        return format_html('<table class="wf-object"><tbody>{}</tbody></table>', rows)

    def sequence(self, items: list[Any], depth: int) -> SafeString:
        if not items:
            return format_html('<span class="wf-empty">{}</span>', "empty list")
        more = ""
        if len(items) > MAX_ROWS:
            more = format_html(
                '<p class="wf-more">… and {} more (see the raw JSON)</p>',
                f"{len(items) - MAX_ROWS:,}",
            )
        shown = items[:MAX_ROWS]
        columns = _columns(shown)
        if columns:
            head = format_html_join("", '<th scope="col">{}</th>', ((c,) for c in columns))
            body = format_html_join(
                "",
                "<tr><td>{}</td>{}</tr>",
                (
                    (
                        index,
                        format_html_join(
                            "",
                            "<td>{}</td>",
                            (
                                (self.html(row.get(c), depth + 1) if c in row else "",)
                                for c in columns
                            ),
                        ),
                    )
                    for index, row in enumerate(shown, 1)
                ),
            )
        else:
            head = format_html('<th scope="col">{}</th>', "value")
            body = format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td></tr>",
                ((index, self.html(item, depth + 1)) for index, item in enumerate(shown, 1)),
            )
        return format_html(
            '<table class="wf-list"><thead><tr><th scope="col">#</th>{}</tr></thead>'
            "<tbody>{}</tbody></table>{}",
            head,
            body,
            more,
        )


def _columns(rows: list[Any]) -> list[str]:
    """The keys of a list of objects (not things or files), as table columns; none when
    the items are not all such objects."""
    if not all(
        isinstance(r, Mapping) and not is_thing_reference(r) and not _is_file(r) for r in rows
    ):
        return []
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(str(key))
    return columns[:MAX_COLUMNS] if columns else []


def _compact(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= SUMMARY_CHARS * 2 else text[: SUMMARY_CHARS * 2] + "…"


def joined(parts: list[Any], separator: str = ", ") -> SafeString:
    """HTML parts (each escaped or already safe) joined by ``separator``."""
    return format_html_join(mark_safe(separator), "{}", ((p,) for p in parts))  # noqa: S308 - a fixed separator
