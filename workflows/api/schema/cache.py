"""The generated documents, kept per process until what they describe changes.

Generating walks every exposed workflow, so a document is kept and served again while
its key is the same: the ``(pk, revision, updated_at)`` of every exposed API workflow
(``Workflow.revision`` moves on every change to a workflow, its parameters or actions;
exposing, hiding or deleting one changes the set), the data type labels and the version
of the data model this process built its models of (``data_model.registry``: adding a
field or an option moves it, and building the models again clears the kept documents),
and — for the documents whose Data API part follows privacy rules — the ``(pk,
updated_at)`` of every rule (a save bumps it; adding or deleting one changes the set).
One or two small queries per request tell; an edit in the admin shows in the next
request, in every process, without a restart.

The Data API's part depends on the class of the reader (``privacy.audience``: anonymous,
a user, an admin), never on who the reader is, so there is one entry per class, for the
live version and for development (/version-test/) each. A deployed version never changes:
its document's key is its number, and the data model's (shared by every version).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from ... import data_types
from ...choices import WorkflowKind
from ...data_model import registry
from ...models import PrivacyRule, Workflow
from ...privacy.audience import Audience
from ...versions.serving import pinned

_entries: dict[tuple[Audience, bool], tuple[Hashable, dict[str, Any]]] = {}
_lock = threading.Lock()


def document_key(audience: Audience) -> Hashable:
    deployed = pinned()
    if deployed is not None:
        return (
            ("version", deployed.number),
            tuple(data_types.allowed_labels()),
            registry.built_version(),
        )
    exposed = Workflow.objects.filter(kind=WorkflowKind.API, expose=True)
    key: tuple[Hashable, ...] = (
        tuple(exposed.order_by("pk").values_list("pk", "revision", "updated_at")),
        # made current first: a data type, field or option set changed in any process
        # moved the data model's version (and rebuilt the models, clearing this cache)
        tuple(data_types.allowed_labels()),
        registry.built_version(),
    )
    if audience is not Audience.ADMIN:  # an admin's document shows every type and field
        key += (tuple(PrivacyRule.objects.order_by("pk").values_list("pk", "updated_at")),)
    return key


def cached_document(audience: Audience, generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The document for ``audience`` in the current state: the kept one, or ``generate()``'s."""
    key = document_key(audience)
    slot = (audience, pinned() is not None)
    entry = _entries.get(slot)
    if entry is not None and entry[0] == key:
        return entry[1]
    with _lock:  # one generation at a time; others wait and reuse it
        entry = _entries.get(slot)
        if entry is not None and entry[0] == key:
            return entry[1]
        document = generate()
        _entries[slot] = (key, document)
        return document


def clear() -> None:
    _entries.clear()
