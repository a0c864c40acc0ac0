"""Operation ids and component names, unique across the whole document.

Names come from workflow names (``process-order`` → operation ``process_order``, components
``ProcessOrderRequest``...) and data type labels (``examples.Order`` → ``ExamplesOrder``).
Two sources that would give the same name (``process-order`` and ``process_order``, or a
workflow named like a data type) get a numbered suffix in name order, so the document never
has colliding names (which generators refuse) and stays the same from one request to the
next.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..params_serializer import component_base
from . import registry

#: components and operations of the fixed endpoints (``components``, ``endpoints``); other
#: apps reserve theirs (``registry.reserve_names``)
FIXED_COMPONENTS = frozenset(
    {
        "Error",
        "FileContents",
        "Run",
        "RunStep",
        "RunError",
        "RunResponse",
        "Success",
    }
)
FIXED_OPERATIONS = frozenset({"run_get"})

#: per workflow; other apps' per-workflow operations add theirs (``registry``)
WORKFLOW_COMPONENTS = (
    "Request",
    "UploadRequest",
    "BodyRequest",  # the body, when some parameters are read from the query string
    "BodyUploadRequest",
    "Response",
    "Result",
)
WORKFLOW_OPERATIONS = ("", "_get")
DATA_COMPONENTS = (
    "",
    "Request",
    "PatchRequest",
    "SearchResponse",
    "Response",
    "Created",
)
DATA_OPERATIONS = ("_search", "_create", "_get", "_modify", "_replace", "_delete")


def operation_base(name: str) -> str:
    """``process-order`` → ``process_order``: a name as a (Python-friendly) operation id."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "workflow"
    return base if base[0].isalpha() else f"wf_{base}"


class Names:
    """Hands out unique component and operation bases, first come first served."""

    def __init__(self) -> None:
        fixed = (*FIXED_COMPONENTS, *registry.RESERVED_COMPONENTS)
        self.components: set[str] = {n.lower() for n in fixed}
        self.operations: set[str] = {*FIXED_OPERATIONS, *registry.RESERVED_OPERATIONS}

    def claim(
        self,
        component: str,
        operation: str,
        component_suffixes: Iterable[str],
        operation_suffixes: Iterable[str],
    ) -> tuple[str, str]:
        """The first ``(component, operation)`` bases, numbered from 2, none of whose
        suffixed names is taken; they are taken from now on."""
        component_suffixes, operation_suffixes = list(component_suffixes), list(operation_suffixes)
        number = 1
        while True:
            tag = "" if number == 1 else str(number)
            c_names = {f"{component}{tag}{s}".lower() for s in component_suffixes}
            o_names = {f"{operation}{'_' + tag if tag else ''}{s}" for s in operation_suffixes}
            if not (c_names & self.components or o_names & self.operations):
                self.components |= c_names
                self.operations |= o_names
                return f"{component}{tag}", f"{operation}{'_' + tag if tag else ''}"
            number += 1

    def workflow(self, name: str) -> tuple[str, str]:
        return self.claim(
            component_base(name),
            operation_base(name),
            (*WORKFLOW_COMPONENTS, *registry.workflow_component_suffixes()),
            (*WORKFLOW_OPERATIONS, *registry.workflow_operation_suffixes()),
        )

    def data_type(self, label: str) -> tuple[str, str]:
        return self.claim(
            component_base(label), operation_base(label), DATA_COMPONENTS, DATA_OPERATIONS
        )
