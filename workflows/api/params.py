"""Collecting raw parameters from a request: JSON body, form data and the query string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.http import QueryDict

from .. import jsontext
from ..engine.params import ParamSpec
from ..exceptions import InvalidParameter, MissingParameter


def request_params(
    data: Any, query: QueryDict, files: Any, specs: Sequence[ParamSpec]
) -> dict[str, Any]:
    """Raw values per declared key. A ``querystring`` parameter (Bubble's "Querystring"
    option) is read from the query string only, whatever the body holds under its key; any
    other from the query string and the body, the body winning."""
    in_body = [spec for spec in specs if not spec.querystring]
    url_only = {spec.key for spec in specs if spec.querystring}
    refuse_secrets_in_url(query, specs)
    raw: dict[str, Any] = {}
    _merge(raw, query, specs)
    if isinstance(data, QueryDict):
        _merge(raw, data, in_body)
    elif isinstance(data, dict):
        raw.update((key, value) for key, value in data.items() if key not in url_only)
    elif data not in (None, "", b""):
        raise InvalidParameter("the JSON body must be an object of parameter names to values")
    if files:
        for spec in in_body:
            if spec.key in files:
                uploads = files.getlist(spec.key)
                raw[spec.key] = uploads if spec.is_list else uploads[-1]
    return raw


def kept_out_of_urls(spec: ParamSpec) -> bool:
    """A secret parameter (a password, a token) is never read from a URL, which servers,
    proxies and browsers keep in their logs, unless its builder asked for the query string
    (Bubble's "Querystring" option)."""
    return spec.secret and not spec.querystring


def refuse_secrets_in_url(query: QueryDict, specs: Sequence[ParamSpec]) -> None:
    for spec in specs:
        if kept_out_of_urls(spec) and spec.key in query:
            raise InvalidParameter(
                f"{spec.key}: a secret parameter is not read from the URL, which servers and "
                "proxies keep in their logs: send it in the request body (POST)",
                parameter=spec.key,
            )


def said_where(error: MissingParameter, specs: Sequence[ParamSpec]) -> MissingParameter:
    """``error`` (a required parameter not sent), saying where a ``querystring`` one is
    read: a caller who put it in the body learns why it was not found."""
    spec = next((s for s in specs if s.key == error.parameter and s.querystring), None)
    if spec is None:
        return error
    return MissingParameter(
        f"{error.message}: it is read from the URL's query string (?{spec.key}=...), "
        "not the request body",
        parameter=spec.key,
    )


def _merge(raw: dict[str, Any], source: QueryDict, specs: Sequence[ParamSpec]) -> None:
    for spec in specs:
        if spec.key not in source:
            continue
        values = source.getlist(spec.key)
        if spec.is_list and not (len(values) == 1 and values[0].strip().startswith("[")):
            raw[spec.key] = values
        else:
            raw[spec.key] = values[-1]


def decode_json_lists(specs: Sequence[ParamSpec], raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """List parameters sent as one JSON text (``tags=["a","b"]``, in a form, the query
    string or a JSON string) decoded through ``jsontext``: too deep or holding a lone
    surrogate is INVALID_PARAMETER naming the parameter. Malformed text is left as it is
    for the coercion to refuse (it also keeps secret parameters' values out of the error).
    """
    decoded: dict[str, Any] | None = None
    for spec in specs:
        value = raw.get(spec.key)
        if not (spec.is_list and isinstance(value, str) and value.strip().startswith("[")):
            continue
        try:
            items = jsontext.loads(value, root=spec.key)
        except jsontext.UnsafeJson as exc:
            raise InvalidParameter(f"parameter {spec.key!r}: {exc}", parameter=spec.key) from None
        except ValueError:
            continue
        decoded = decoded if decoded is not None else dict(raw)
        decoded[spec.key] = items
    return raw if decoded is None else decoded
