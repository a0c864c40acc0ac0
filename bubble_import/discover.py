"""Which plan a Bubble app gives: from its Swagger file when it is on, else from
``/api/1.1/meta``, else from the rows of the types the operator names (``--types``)."""

from __future__ import annotations

from collections.abc import Sequence

from .plan import USER, Plan, from_meta, from_rows, from_swagger, refine_from_rows
from .source import BubbleApp, SourceError

#: rows read per type to tell each field's type when neither description is available
SAMPLE_ROWS = 100
#: the most types whose first rows a plan reads (a plan is made while the admin waits)
SAMPLED_TYPES = 50


class NoPlan(Exception):
    """No plan can be made as asked: neither description is readable and no type was named
    (the message says what was tried), or ``--types`` names a type the app does not have."""


def discover(app: BubbleApp, types: Sequence[str] = ()) -> tuple[Plan, list[str]]:
    """The plan, and what was tried before the source it came from (for the operator)."""
    tried = []
    for name, read, build in (
        ("the Swagger file", app.swagger, from_swagger),
        ("/api/1.1/meta", app.meta, from_meta),
    ):
        try:
            plan = build(read())
        except (SourceError, ValueError) as exc:
            tried.append(f"{name}: {exc}")
            continue
        except (TypeError, AttributeError, KeyError, RecursionError) as exc:
            tried.append(f"{name}: not in the shape expected ({type(exc).__name__})")
            continue
        if types:
            _keep_only(plan, types)
        refine_from_rows(plan, _first_rows(app, plan))
        return plan, tried
    if not types:
        raise NoPlan(
            "neither the Swagger file nor /api/1.1/meta could be read ("
            + "; ".join(tried)
            + "): name the types to copy with --types a,b,c"
        )
    rows = {name: app.page(name, 0, SAMPLE_ROWS).results for name in types}
    return from_rows(rows), tried


def _keep_only(plan: Plan, types: Sequence[str]) -> None:
    """The plan narrowed to ``types``: a name it does not have is refused, naming those it
    has; a link to a type left out keeps its ids as text."""
    known = [t.bubble_name for t in plan.types]
    unknown = [name for name in types if name not in known]
    if unknown:
        raise NoPlan(
            f"--types: {', '.join(unknown)} not among the app's types ({', '.join(known)})"
        )
    plan.types = [t for t in plan.types if t.bubble_name in types]
    for typed in plan.types:
        for planned in typed.fields:
            if planned.type == "thing" and planned.data_type not in (*types, USER):
                planned.why += f"; {planned.data_type} is not among --types: its ids kept as text"
                planned.type, planned.data_type = "text", ""


def _first_rows(app: BubbleApp, plan: Plan) -> dict[str, list[dict]]:
    """Each planned type's first rows, for what only rows show (``refine_from_rows``); a
    type whose rows cannot be read is said in the plan's notes."""
    rows = {}
    if len(plan.types) > SAMPLED_TYPES:
        plan.notes.append(
            f"rows read for the first {SAMPLED_TYPES} types only: file fields and option-set "
            "candidates of the others are not detected (name them with --types)"
        )
    for typed in plan.types[:SAMPLED_TYPES]:
        try:
            rows[typed.bubble_name] = app.page(typed.bubble_name, 0, SAMPLE_ROWS).results
        except SourceError as exc:
            plan.notes.append(
                f"{typed.bubble_name}: rows not read ({exc}); file fields and option-set "
                "candidates are not detected"
            )
    return rows
