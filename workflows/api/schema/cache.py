"""The generated document, kept per process until what it describes changes.

Generating walks every exposed workflow, so the document is kept and served again while
its key is the same: the ``(pk, revision, updated_at)`` of every exposed API workflow
(``Workflow.revision`` moves on every change to a workflow, its parameters or actions;
exposing, hiding or deleting one changes the set), the data type labels and the version
of the data model this process built its models of (``data_model.registry``: adding a
field or an option moves it, and building the models again clears the kept document).
One small query per request tells; an edit in the admin shows in the next request, in
every process, without a restart. The document is the same for every caller (privacy
rules decide what a call returns, not what the API looks like), so there is one entry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from ... import data_types
from ...choices import WorkflowKind
from ...data_model import registry
from ...models import Workflow

_entry: tuple[Hashable, dict[str, Any]] | None = None
_lock = threading.Lock()


def document_key() -> Hashable:
    exposed = Workflow.objects.filter(kind=WorkflowKind.API, expose=True)
    return (
        tuple(exposed.order_by("pk").values_list("pk", "revision", "updated_at")),
        # made current first: a data type, field or option set changed in any process
        # moved the data model's version (and rebuilt the models, clearing this cache)
        tuple(data_types.allowed_labels()),
        registry.built_version(),
    )


def cached_document(generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The document for the current state: the kept one, or ``generate()``'s."""
    global _entry
    key = document_key()
    entry = _entry
    if entry is not None and entry[0] == key:
        return entry[1]
    with _lock:  # one generation at a time; others wait and reuse it
        entry = _entry
        if entry is not None and entry[0] == key:
            return entry[1]
        document = generate()
        _entry = (key, document)
        return document


def clear() -> None:
    global _entry
    _entry = None
