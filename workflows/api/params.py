"""Collecting raw parameters from a request: JSON body, form data and the query string."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import QueryDict

from ..engine.params import ParamSpec
from ..exceptions import InvalidParameter


def request_params(
    data: Any, query: QueryDict, files: Any, specs: Sequence[ParamSpec]
) -> dict[str, Any]:
    """Raw values per declared key; the body wins over the query string."""
    raw: dict[str, Any] = {}
    _merge(raw, query, specs)
    if isinstance(data, QueryDict):
        _merge(raw, data, specs)
    elif isinstance(data, dict):
        raw.update(data)
    elif data not in (None, "", b""):
        raise InvalidParameter("the JSON body must be an object of parameter names to values")
    if files:
        for spec in specs:
            if spec.key in files:
                uploads = files.getlist(spec.key)
                raw[spec.key] = uploads if spec.is_list else uploads[-1]
    return raw


def _merge(raw: dict[str, Any], source: QueryDict, specs: Sequence[ParamSpec]) -> None:
    for spec in specs:
        if spec.key not in source:
            continue
        values = source.getlist(spec.key)
        if spec.is_list and not (len(values) == 1 and values[0].strip().startswith("[")):
            raw[spec.key] = values
        else:
            raw[spec.key] = values[-1]
