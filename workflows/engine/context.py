"""The state of one run as actions see it: scope for expressions, data access, steps."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

from .. import conf, data_types
from ..data_model import options
from ..exceptions import ExpressionError, RunTimeout
from ..privacy.access import DataAccess
from ..secrets import SecretScope
from .expressions import SEARCH_LOOKUPS, SEARCH_OPTIONS, search_lookup
from .functions import FUNCTIONS, expression_function
from .transactions import NESTED
from .values_types import Namespace, Steps, ThingList

if TYPE_CHECKING:
    from ..models import Run
    from .compiler import CompiledWorkflow
    from .runner import Recorder


@dataclass(frozen=True)
class Caller:
    """Who started a run over HTTP, as far as actions need it: the credential the request
    authenticated with (an ``ApiKey`` or a ``UserToken``; None when anonymous), so
    ``log_user_out`` can revoke the token in use; the client's address (the log-in
    throttle's); and the address the request came to, for links in emails. Runs started
    otherwise (scheduled, from the admin, from code) have none."""

    credential: Any = None
    address: str = ""
    site_root: str = ""


@dataclass
class RunContext:
    workflow: CompiledWorkflow
    run: Run
    actor: Any
    params: dict[str, Any]
    recorder: Recorder
    depth: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    now: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )
    deadline: float = 0.0
    steps: Steps = field(default_factory=Steps)
    response: Any = None
    #: how an API call answers ``response``: json, text or redirect (``return_data``)
    response_type: str = "json"
    ended: bool = False
    current_step: Any = None  # the StepRun being executed (email reports delivery on it)
    #: what the run may read (privacy rules); by default as the workflow's own setting says
    data: DataAccess = None  # type: ignore[assignment]
    #: where its changes commit (``engine.transactions``); a custom event's: its caller's step
    transactions: Any = NESTED
    #: the HTTP request's credential and address (the API's runs; custom events share it)
    caller: Caller | None = None
    #: the last log-in a step made (``{token, user_id, expires}``): what an API workflow
    #: without returned data answers, as Bubble does
    login: dict[str, Any] | None = None
    _scope: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.data is None:
            self.data = DataAccess(self.actor, ignore_privacy=self.workflow.ignore_privacy)
        if not self.deadline:
            self.deadline = time.monotonic() + self.workflow.timeout

    def respond_with(self, response_type: str, response: Any) -> None:
        """What the run answers (``return_data``): ``response`` as ``response_type``."""
        self.response_type = response_type
        self.response = response

    @property
    def scope(self) -> dict[str, Any]:
        """The names expressions see; built once per run (``steps`` fills in as it goes)."""
        if self._scope is None:
            scope: dict[str, Any] = {
                "params": Namespace(self.params, "parameter"),
                "steps": self.steps,
                "current_user": self.actor,
                "now": self.now,
                "settings": Namespace(conf.get("SETTINGS"), "setting"),
                # read one by one, on first use: a run that uses none costs nothing
                "secrets": SecretScope(),
            }
            for name, fn in FUNCTIONS.items():
                scope[name] = BoundFunction(fn.name, fn.func, self) if fn.needs_context else fn.func
            scope.update(self.extra)
            self._scope = scope
        return self._scope

    def remaining(self) -> float:
        """Seconds left before the workflow's timeout; raises once it has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise RunTimeout(
                f"the workflow ran longer than its timeout of {self.workflow.timeout} s"
            )
        return left


class BoundFunction:
    """An expression function bound to its run (``search``).

    Unlike ``functools.partial`` it shows nothing of the run: printed (``{{ search }}``) a
    partial would spell out the whole ``RunContext`` (parameters, steps, definition), and
    its ``args`` would hand the context to the expression.
    """

    __slots__ = ("_name", "_func", "_ctx")

    def __init__(self, name: str, func: Any, ctx: RunContext) -> None:
        self._name = name
        self._func = func
        self._ctx = ctx

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._func(self._ctx, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<function {self._name}>"


_current: ContextVar[RunContext | None] = ContextVar("bubble_current_run", default=None)


def current_run() -> RunContext | None:
    """The run executing in this thread, if any: lets code that reacts to its changes (the
    scheduler's database triggers) know which run, user and depth caused them."""
    return _current.get()


@contextmanager
def running(ctx: RunContext) -> Iterator[RunContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@expression_function("search", needs_context=True)
def search(ctx: RunContext, data_type: str, **filters: Any) -> ThingList:
    """Things of a data type matching field filters: ``search('examples.Order', status='paid',
    total__gt=10, sort_by='created_at', descending=true, limit=20)``.

    ``lock=true`` locks the rows found until the run commits (``SELECT ... FOR UPDATE``), so
    two runs reading and then changing the same thing (a counter) take turns.
    """
    model = data_types.get_model(data_type)
    options = {k: filters.pop(k) for k in list(filters) if k in SEARCH_OPTIONS}
    lookups = {
        search_lookup(model, key): _filter_value(model, key, value)
        for key, value in filters.items()
    }
    queryset = ctx.data.findable(model).filter(**lookups)
    for key in lookups:  # a filter on a field the user may not see matches nothing
        queryset = ctx.data.restrict_to_visible_path(queryset, _path(model, key))
    if any(field.many_to_many for key in lookups for field in _path(model, key)):
        # a thing matching through two items of a list comes once; not DISTINCT, which
        # neither locks (FOR UPDATE) nor sorts by another table's column on PostgreSQL
        queryset = model._default_manager.filter(pk__in=queryset.values("pk"))
    if options.get("lock"):
        ctx.transactions.for_locking()  # the rows stay locked until the changes commit
        queryset = queryset.select_for_update(of=("self",))
    sort_by = options.get("sort_by")
    if sort_by:
        search_lookup(model, str(sort_by))
        queryset = queryset.order_by(
            ("-" if options.get("descending") else "") + _sort_key(ctx, model, str(sort_by))
        )
    elif options.get("descending"):
        queryset = queryset.order_by("-pk")
    else:
        queryset = queryset.order_by(*(model._meta.ordering or ["pk"]))
    limit = options.get("limit")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError("limit must be a whole number")
        queryset = queryset[: min(limit, conf.get("SEARCH_LIMIT"))]
    return ThingList(queryset)


def _path(model: type[models.Model], key: str) -> list[models.Field]:
    """The fields a filter or sort key goes through (``customer__email`` → customer, email);
    ids are always visible, so the path stops there."""
    parts = key.split("__")
    if len(parts) > 1 and parts[-1] in SEARCH_LOOKUPS:
        parts = parts[:-1]
    fields: list[models.Field] = []
    current = model
    for part in parts:
        if part in ("pk", "id"):
            break
        field = current._meta.get_field(part)
        fields.append(field)
        if field.is_relation:
            current = field.related_model
    return fields


def _sort_key(ctx: RunContext, model: type[models.Model], key: str) -> str:
    """``key`` as an ORM ordering, refused when a privacy rule hides a field along it (the
    order would tell what the values are); a relation sorts by the related thing's id, not
    by its model's default ordering (which may be a hidden field)."""
    path = _path(model, key)
    if not ctx.data.unrestricted:
        current = model
        for field in path:
            if not ctx.data.policy(current).shows_everywhere(field.name):
                raise ExpressionError(
                    f"search: you may not sort by {key!r}: a privacy rule hides {field.name!r} "
                    f"of {data_types.label_of(current)}"
                )
            current = field.related_model if field.is_relation else current
    if path and options.is_option_field(path[-1]) and not key.endswith(("__pk", "__id")):
        return f"{key}__position"  # in its set's order, as the Data API sorts it
    if path and path[-1].is_relation and not path[-1].many_to_many:
        return key if key.endswith(("__pk", "__id")) else f"{key}_id"
    return key


def _filter_value(model: type[models.Model], key: str, value: Any) -> Any:
    """A filter's value as the ORM takes it: a list of things for a search's result; on
    an option field, the option its display names (``stage='Won'``, ``stage__in=[...]``;
    an unknown display fails the search, naming the field)."""
    if isinstance(value, ThingList):
        value = list(value)
    path = _path(model, key)
    lookup = key.rsplit("__", 1)[-1] if "__" in key else ""
    if not path or not options.is_option_field(path[-1]) or lookup not in ("", "exact", "in"):
        return value
    field = path[-1]
    if lookup == "in" and isinstance(value, list | tuple):
        return [options.option_for(field, item) for item in value]
    return options.option_for(field, value)
