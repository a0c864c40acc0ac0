"""Escaped HTML for JSON values and links, shared by the Runs log and the Run now page.

Run inputs, outputs and results are user data: everything here goes through
``format_html`` (which escapes its arguments); nothing user-supplied is marked safe.
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString


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
