"""The project's admin site: Django's, with a "Data" section for the data model.

The section holds the Data types and Option sets pages (``workflows.admin.data``) and one
page of things per data type defined without code. Those types' models are built at run
time and change without a restart (docs/data-types.md), while Django computes an admin
site's URLs once. So:

* after each build of the models (``registry.on_rebuild``), each data type gets a fresh
  ``ThingAdmin`` in ``_registry``: what Django's own lookups (``is_registered``, the
  autocomplete view, related-object links) find;
* their pages live under ``/admin/things/`` in ``ThingsResolver``, a URL resolver whose
  patterns follow those admins: ``/admin/things/t5/`` is data type 5's list (the names
  are Django's usual ``admin:things_t5_changelist``...), and after a change the URL caches
  are cleared, so the names of a new type can be reversed at once.

Each admin request first makes this process's models current (one small query), so a type
defined in another process has its pages here too.

The index and the navigation name the product and put what a builder uses first
(``SECTIONS``: Workflows, Runs, Scheduler, Privacy rules, API keys, then Data); models the
sections do not list follow under their app, and django-q2's tables come last under
"Operations", for superusers only. Sections list models by label: an app that is not
installed (the scheduler) simply has nothing in them. The index shows the dashboard above
the sections when one is registered (``DASHBOARDS``; templates/admin/index.html).

This module is imported while the admin site is being made: it must not import
``workflows.admin`` at module level (that package registers its pages on the site being
made).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.urls import URLResolver, clear_url_caches, include, path, re_path
from django.urls.resolvers import RoutePattern

#: the app label of the models of data types defined without code, and of the section
DATA_APP = "things"
#: definition pages shown in the Data section, first, though their models are workflows'
DATA_MODEL_PAGES = ("DataType", "OptionSet")

#: the index's first sections, in order: a name and the models in it ("app_label.Model")
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Workflows",
        (
            "workflows.Workflow",
            "workflows.Version",
            "scheduler.TriggerWorkflow",
            "workflows.Secret",
            "workflows.DefinitionChange",
        ),
    ),
    ("Runs", ("workflows.Run",)),
    ("Scheduler", ("scheduler.ScheduledRun", "scheduler.RecurringEvent", "scheduler.Pause")),
    ("Privacy rules", ("workflows.PrivacyRule",)),
    ("API keys", ("workflows.ApiKey", "workflows.UserToken")),
)
#: apps whose tables are the machinery's, not a builder's: last, as "Operations", and
#: out of the menu for anyone but superusers
OPERATIONS_APPS = ("django_q",)
OPERATIONS = "Operations"
#: functions giving the dashboard shown on the index (``request`` → its context, or None);
#: templates/admin/index.html includes admin/dashboard.html with the first one's answer
DASHBOARDS: list[Callable[[Any], Any]] = []


class AdminSite(admin.AdminSite):
    """Django's admin site with the Data section and the product's index (see the
    module's docstring)."""

    site_header = "bubble-backend"
    site_title = "bubble-backend admin"
    index_title = "Backend workflows"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        from .data_model import builder, registry

        self._is_built = builder.is_built
        self._sync_lock = threading.RLock()
        #: raised at each rebuild of the models: which thing admins ``_registry`` holds
        self.things_version = 0
        self.things_resolver = ThingsResolver(self)
        registry.on_rebuild(self.follow_data_model)

    # --- the things' admins, one per data type built now ---------------------------------

    def follow_data_model(self) -> None:
        """Give each data type built now a fresh admin (``registry.on_rebuild``)."""
        from .admin.data.things import thing_admin
        from .data_model import registry

        with self._sync_lock:
            own = {m: a for m, a in self._registry.items() if not self._is_built(m)}
            things = {m: thing_admin(m, self) for m in registry.built_models().values()}
            self._registry = {**own, **things}
            self.things_version += 1

    def thing_admins(self) -> list[tuple[type[Model], admin.ModelAdmin]]:
        return [(m, a) for m, a in list(self._registry.items()) if self._is_built(m)]

    def make_current(self) -> None:
        """This process's models of the data types are current for this request."""
        from .data_model import registry

        registry.ensure_current_once()

    # --- URLs ----------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        """Django's URLs, without the built models (``ThingsResolver`` serves them), plus
        the Data section's index."""
        with self._sync_lock:
            registry = self._registry
            self._registry = {m: a for m, a in registry.items() if not self._is_built(m)}
            try:
                urls = super().get_urls()
            finally:
                self._registry = registry
        index = re_path(
            rf"^(?P<app_label>{DATA_APP})/$", self.admin_view(self.app_index), name="app_list"
        )
        return [self.things_resolver, index, *urls]

    # --- the app list: the Data section ------------------------------------------------

    def _build_app_dict(self, request: Any, label: str | None = None) -> dict[str, Any]:
        self.make_current()
        apps = super()._build_app_dict(request, None if label == DATA_APP else label)
        pages = [
            m
            for m in apps.get("workflows", {}).get("models", [])
            if m["object_name"] in DATA_MODEL_PAGES
        ]
        if pages:
            workflows = apps["workflows"]
            workflows["models"] = [m for m in workflows["models"] if m not in pages]
            if not workflows["models"]:
                del apps["workflows"]
            data = apps.setdefault(DATA_APP, self._data_app())
            data["models"] = pages + data["models"]
        if label == DATA_APP:
            return {DATA_APP: apps[DATA_APP]} if DATA_APP in apps else {}
        return apps

    def _data_app(self) -> dict[str, Any]:
        from django.apps import apps
        from django.urls import reverse

        return {
            "name": apps.get_app_config(DATA_APP).verbose_name,
            "app_label": DATA_APP,
            "app_url": reverse(
                "admin:app_list", kwargs={"app_label": DATA_APP}, current_app=self.name
            ),
            "has_module_perms": True,
            "models": [],
        }

    def get_app_list(self, request: Any, app_label: str | None = None) -> list[dict[str, Any]]:
        """Django's list; in the Data section, Data types and Option sets come first. The
        whole list (the index, the navigation) is arranged in ``SECTIONS``; one app's page
        keeps Django's list of that app."""
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            if app["app_label"] == DATA_APP:
                app["models"].sort(
                    key=lambda m: (m["object_name"] not in DATA_MODEL_PAGES, m["name"].lower())
                )
        if app_label is not None:
            return app_list
        return arrange(app_list, superuser=getattr(request.user, "is_superuser", False))

    def index(self, request: Any, extra_context: dict[str, Any] | None = None) -> Any:
        """Django's index, with the dashboard's context when one is registered."""
        context = dict(extra_context or {})
        if DASHBOARDS and "dashboard" not in context:
            context["dashboard"] = DASHBOARDS[0](request)
        return super().index(request, context)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def arrange(app_list: list[dict[str, Any]], *, superuser: bool) -> list[dict[str, Any]]:
    """``SECTIONS`` first, then the Data section, then the other apps as Django lists them
    (less the models already shown), then "Operations" (superusers only)."""
    by_label = {
        f"{app['app_label']}.{model['object_name']}": (app, model)
        for app in app_list
        for model in app["models"]
    }
    placed: set[int] = set()
    sections = []
    for name, labels in SECTIONS:
        found = [by_label[label] for label in labels if label in by_label]
        if not found:
            continue
        models = [model for _, model in found]
        placed.update(id(model) for model in models)
        sections.append(
            {
                "name": name,
                "app_label": _slug(name),
                # the section's link is its first page (an app's index would list other
                # sections' pages): "Scheduler" is the Scheduler, "Runs" the runs
                "app_url": models[0]["admin_url"],
                "has_module_perms": True,
                "models": models,
            }
        )
    data, rest, operations = [], [], []
    for app in app_list:
        models = [model for model in app["models"] if id(model) not in placed]
        if not models:
            continue
        app = {**app, "models": models}
        if app["app_label"] == DATA_APP:
            data.append(app)
        elif app["app_label"] in OPERATIONS_APPS:
            if superuser:
                operations.append(app)
        else:
            rest.append(app)
    if operations:
        merged = [model for app in operations for model in app["models"]]
        operations = [{**operations[0], "name": OPERATIONS, "models": merged}]
    return sections + data + rest + operations


class ThingsResolver(URLResolver):
    """``/admin/things/``: the pages of each data type's things, for the admins the site
    holds now (see the module's docstring).

    Its patterns are made again when the site's ``things_version`` moved. A parent resolver
    copies a child's names when it is populated; ``copied`` is the version it copied last,
    and a request finding it behind clears the URL caches (``clear_url_caches``, Django's
    public way), so the next ``reverse`` sees the current names."""

    def __init__(self, site: AdminSite) -> None:
        super().__init__(RoutePattern(f"{DATA_APP}/"), [])
        self.site = site
        self._made_for: int | None = None
        self._patterns: list[Any] = []
        self._lock = threading.Lock()
        self.copied: int | None = None

    @property
    def url_patterns(self) -> list[Any]:  # type: ignore[override]
        version = self.site.things_version
        if version != self._made_for:
            with self._lock:
                if version != self._made_for:
                    self._patterns = [
                        path(f"{model._meta.model_name}/", include(model_admin.urls))
                        for model, model_admin in self.site.thing_admins()
                    ]
                    self._reverse_dict, self._namespace_dict, self._app_dict = {}, {}, {}
                    self._callback_strs = set()
                    self._populated = False
                    self._made_for = version
        return self._patterns

    def _populate(self) -> None:
        self.url_patterns  # noqa: B018 - made current first
        super()._populate()

    @property
    def reverse_dict(self) -> Any:
        self.url_patterns  # noqa: B018
        self.copied = self._made_for
        return super().reverse_dict

    @property
    def namespace_dict(self) -> Any:
        self.url_patterns  # noqa: B018
        return super().namespace_dict

    @property
    def app_dict(self) -> Any:
        self.url_patterns  # noqa: B018
        return super().app_dict

    def resolve(self, path: str) -> Any:
        # the first pattern of the admin: every admin request passes here first
        self.site.make_current()
        if self.copied != self.site.things_version:
            clear_url_caches()
        return super().resolve(path)
