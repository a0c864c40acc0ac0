"""A stand-in Bubble app for the tests, written from the shapes in Bubble's manual ("The
Bubble API", "Data API requests"): a Swagger 2.0 file, ``/api/1.1/meta``, and a paged Data
API (``cursor``, ``limit`` at most 100, ``count``, ``remaining``), behind a bearer token.

Four linked types — users, units (with an option-like status, an address, an image),
orders (a list of units, a link to a type the Swagger file does not expose) and reviews
(one pointing at a unit that no longer exists) — and two API workflows. Every request is
recorded (method, path, whether it carried the token), so a test can say that only GETs
reached it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "stand-in-secret-token-5f1b2c"  # noqa: S105 - the stand-in's own test token


def _id(n: int) -> str:
    return f"16{n:011d}x{n * 7919:018d}"


def _ref(type_display: str) -> dict[str, Any]:
    return {
        "type": "string",
        "description": f"This field represents a {type_display} represented by a unique ID",
    }


SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "stand-in", "version": "1.1"},
    "basePath": "/api/1.1",
    "paths": {
        "/obj/user": {"get": {}},
        "/obj/unit": {"get": {}, "post": {}},
        "/obj/unit/{UniqueID}": {"get": {}},
        "/obj/order": {"get": {}},
        "/obj/review": {"get": {}},
        "/wf/process-order": {
            "post": {
                "parameters": [
                    {
                        "in": "body",
                        "name": "body",
                        "schema": {
                            "type": "object",
                            "required": ["order"],
                            "properties": {
                                "order": _ref("Order"),
                                "rush": {"type": "boolean"},
                                "note": {"type": "string"},
                            },
                        },
                    }
                ]
            }
        },
        "/wf/send-digest": {
            "get": {
                "parameters": [
                    {"in": "query", "name": "since", "type": "string", "format": "date-time"},
                    {"in": "query", "name": "for", "required": True, **_ref("User")},
                ]
            }
        },
    },
    "definitions": {
        "user": {
            "type": "object",
            "properties": {
                "_id": {"type": "string"},
                "email": {"type": "string"},
                "Name": {"type": "string"},
                "Created Date": {"type": "string", "format": "date-time"},
            },
        },
        "unit": {
            "type": "object",
            "properties": {
                "_id": {"type": "string"},
                "Created Date": {"type": "string", "format": "date-time"},
                "Modified Date": {"type": "string", "format": "date-time"},
                "Created By": _ref("User"),
                "Unit name": {"type": "string"},
                "Price": {"type": "number"},
                "Active": {"type": "boolean"},
                "Status": {"type": "string"},
                "Location": {
                    "type": "object",
                    "properties": {
                        "address": {"type": "string"},
                        "lat": {"type": "number"},
                        "lng": {"type": "number"},
                    },
                },
                "Photo": {"type": "string"},
                "Owner": _ref("User"),
            },
        },
        "order": {
            "type": "object",
            "properties": {
                "_id": {"type": "string"},
                "Placed": {"type": "string", "format": "date-time"},
                "Units": {"type": "array", "items": _ref("Unit")},
                "Buyer": _ref("User"),
                "Supplier": _ref("Supplier"),
                "Total": {"type": "number"},
            },
        },
        "review": {
            "type": "object",
            "properties": {
                "_id": {"type": "string"},
                "Unit": _ref("Unit"),
                "Stars": {"type": "number"},
                "Text": {"type": "string"},
            },
        },
    },
}

META = {
    "get": ["user", "unit", "order", "review"],
    "types": {
        "user": {"display": "User", "fields": [{"display": "Name", "type": "text"}]},
        "unit": {
            "display": "Unit",
            "fields": [
                {"display": "Unit name", "type": "text"},
                {"display": "Price", "type": "number"},
                {"display": "Active", "type": "boolean"},
                {"display": "Status", "type": "option.unit_status"},
                {"display": "Location", "type": "geographic_address"},
                {"display": "Photo", "type": "image"},
                {"display": "Owner", "type": "user"},
            ],
        },
        "order": {
            "display": "Order",
            "fields": [
                {"display": "Placed", "type": "date"},
                {"display": "Units", "type": "list.custom.unit"},
                {"display": "Buyer", "type": "user"},
                {"display": "Supplier", "type": "custom.supplier"},
                {"display": "Total", "type": "number"},
            ],
        },
        "review": {
            "display": "Review",
            "fields": [
                {"display": "Unit", "type": "custom.unit"},
                {"display": "Stars", "type": "number"},
                {"display": "Text", "type": "text"},
                {"display": "Odd", "type": {"not": "a name"}},
            ],
        },
    },
}


def _rows() -> dict[str, list[dict[str, Any]]]:
    users = [
        {
            "_id": _id(n),
            "email": f"user{n}@example.com",
            "Name": f"User {n}",
            "Created Date": f"2024-01-0{n}T10:00:00.000Z",
            "Modified Date": f"2024-01-0{n}T11:00:00.000Z",
        }
        for n in (1, 2)
    ]
    units = [
        {
            "_id": _id(10 + n),
            "Created Date": f"2024-02-{10 + n}T08:30:00.000Z",
            "Modified Date": f"2024-03-{10 + n}T08:30:00.000Z",
            "Created By": users[n % 2]["_id"],
            "Unit name": f"Unit {n}",
            "Price": 10.5 * n,
            "Active": n % 2 == 0,
            "Status": "open" if n < 3 else "closed",
            "Location": {"address": f"{n} Main St", "lat": 48.85 + n, "lng": 2.35},
            "Photo": f"//s3.amazonaws.com/appforest_uf/f{n}/unit{n}.png",
            "Owner": users[0]["_id"],
        }
        for n in range(1, 5)
    ]
    orders = [
        {
            "_id": _id(20 + n),
            "Created Date": f"2024-04-0{n}T12:00:00.000Z",
            "Modified Date": f"2024-04-0{n}T12:30:00.000Z",
            "Created By": users[0]["_id"],
            "Placed": f"2024-04-0{n}T12:00:00.000Z",
            "Units": [u["_id"] for u in units[:n]],
            "Buyer": users[1]["_id"],
            "Supplier": _id(99),
            "Total": 21.0 * n,
        }
        for n in (1, 2)
    ]
    reviews = [
        {
            "_id": _id(30 + n),
            "Created Date": f"2024-05-0{n + 1}T09:00:00.000Z",
            "Modified Date": f"2024-05-0{n + 1}T09:00:00.000Z",
            "Unit": unit,
            "Stars": stars,
            "Text": text,
        }
        for n, (unit, stars, text) in enumerate(
            [(units[0]["_id"], 5, "Great"), (_id(77), 2, "Its unit was deleted")]
        )
    ]
    return {"user": users, "unit": units, "order": orders, "review": reviews}


@dataclass
class StandIn:
    """The app's state and switches; ``requests``: (method, path, had the token)."""

    swagger_on: bool = True
    meta_on: bool = True
    throttle: int = 0  # answer this many requests 429 first
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=_rows)
    requests: list[tuple[str, str, bool]] = field(default_factory=list)
    address: str = ""
    swagger: Any = None  # what the Swagger file says instead of SWAGGER
    #: (type, cursor) pages answered 500 once (a network failure mid-copy)
    fail_once: set[tuple[str, int]] = field(default_factory=set)
    #: files served at /files/<name>
    files: dict[str, bytes] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    stand_in: StandIn

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def _record(self) -> None:
        authorized = self.headers.get("Authorization") == f"Bearer {TOKEN}"
        self.stand_in.requests.append((self.command, urlparse(self.path).path, authorized))

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._record()
        app = self.stand_in
        if app.throttle > 0:
            app.throttle -= 1
            self._answer(429, {"message": "slow down"}, {"Retry-After": "0"})
            return
        url = urlparse(self.path)
        path = url.path.removeprefix("/version-test")
        if path.startswith("/files/"):
            content = app.files.get(path.removeprefix("/files/"))
            if content is None:
                self._answer(404, {})
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
            return
        if path == "/api/1.1/meta/swagger.json":
            body = SWAGGER if app.swagger is None else app.swagger
            self._answer(200, body) if app.swagger_on else self._answer(404, {})
            return
        if path == "/api/1.1/meta":
            self._answer(200, META) if app.meta_on else self._answer(404, {})
            return
        if not path.startswith("/api/1.1/obj/"):
            self._answer(404, {"message": "not found"})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, {"message": "token needed"})
            return
        name = path.removeprefix("/api/1.1/obj/")
        if name not in app.rows:
            self._answer(404, {"message": f"no type {name}"})
            return
        query = parse_qs(url.query)
        cursor = int(query.get("cursor", ["0"])[0])
        if (name, cursor) in app.fail_once:
            app.fail_once.discard((name, cursor))
            self._answer(500, {"message": "the stand-in failed on purpose"})
            return
        limit = min(int(query.get("limit", ["100"])[0]), 100)
        rows = app.rows[name]
        if not isinstance(rows, list):  # a broken app: a dict is its whole response
            self._answer(200, {"response": rows if isinstance(rows, dict) else {"results": rows}})
            return
        rows = _constrained(rows, query.get("constraints", ["[]"])[0])
        sort_field = query.get("sort_field", [""])[0]
        if sort_field:  # Bubble's sort: rows without the field last
            descending = query.get("descending", ["false"])[0] == "true"
            present = [r for r in rows if r.get(sort_field) is not None]
            present.sort(
                key=lambda r: _utc_text(r[sort_field]) if "Date" in sort_field else r[sort_field],
                reverse=descending,
            )
            rows = present + [r for r in rows if r.get(sort_field) is None]
        page = rows[cursor : cursor + limit]
        self._answer(
            200,
            {
                "response": {
                    "cursor": cursor,
                    "results": page,
                    "count": len(page),
                    "remaining": max(len(rows) - cursor - len(page), 0),
                }
            },
        )

    def _refuse(self) -> None:
        self._record()
        self._answer(405, {"message": "the stand-in is read here only"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse  # noqa: N815


def _constrained(rows: list[dict[str, Any]], constraints: str) -> list[dict[str, Any]]:
    """The rows meeting Bubble's constraints (the stand-in knows ``equals`` and ``greater
    than``, on dates as ISO 8601 text, which compares as the moments do)."""
    kept = rows
    for constraint in json.loads(constraints):
        key, kind, value = constraint["key"], constraint["constraint_type"], constraint["value"]
        if kind == "equals":
            kept = [r for r in kept if r.get(key) == value]
        elif kind == "greater than":
            moment = _utc_text(value)
            kept = [r for r in kept if key in r and _utc_text(r[key]) > moment]
        else:
            raise ValueError(f"the stand-in does not know {kind!r}")
    return kept


def _utc_text(text: str) -> str:
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


@contextmanager
def running(stand_in: StandIn | None = None) -> Iterator[StandIn]:
    """The stand-in served on a free local port while the block runs."""
    stand_in = stand_in or StandIn()
    handler = type("Handler", (_Handler,), {"stand_in": stand_in})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.address = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def unit_row(n: int, **changes: Any) -> dict[str, Any]:
    """One more unit (numbered past the app's own), for apps of many rows."""
    row = {
        "_id": _id(1000 + n),
        "Created Date": "2024-06-01T00:00:00.000Z",
        "Modified Date": "2024-06-02T00:00:00.000Z",
        "Unit name": f"Unit {1000 + n}",
        "Price": n,
    }
    return {**row, **changes}
