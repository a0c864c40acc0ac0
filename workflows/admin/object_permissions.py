"""django-guardian's "Object permissions" page on the admin page of every data type.

Privacy rules count a guardian object permission ("this user may view this order") as a
grant (docs/privacy.md), and such grants are managed from the thing's admin page. The
example data types use ``GuardedModelAdmin`` themselves; ``auth.User`` and any model an
operator lists in ``BUBBLE_DATA_TYPES`` come with whatever admin their app registered.
``add_object_permissions()`` (run by ``WorkflowsConfig.ready()``, after the admin's
autodiscovery) re-registers each such admin as a subclass that mixes in guardian's
``GuardedModelAdminMixin``: the original admin's behaviour is kept (its forms, URLs such
as the user's password change, its change form template) and guardian's views are added.

A data type with no admin registration is left alone: showing a model in the admin is
the operator's choice. Its grants can still be made in code
(``guardian.shortcuts.assign_perm``), and the system check ``workflows.W010`` names any
registered data type admin still without the page (e.g. one registered after start-up).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.db.models import Model
from django.template.response import TemplateResponse
from guardian.admin import GuardedModelAdminMixin, ReinforcedGuardedModelAdminMixin

from .. import data_types

#: Extends the template the original admin renders and adds the "Object permissions" link.
CHANGE_FORM_TEMPLATE = "admin/workflows/object_permissions/change_form.html"


class ObjectPermissionsAdminMixin(ReinforcedGuardedModelAdminMixin):
    """guardian's object-permission views on top of an existing ``ModelAdmin``.

    The reinforced variant: managing grants also needs guardian's own permissions on user
    and group object permissions (superusers hold them), not only the right to change the
    data type, since a grant is access through the Data API that its granter may not have.

    guardian's own ``change_form_template`` would replace the original admin's template;
    instead the change page renders the original template (its ``change_form_template``
    or Django's per-model lookup), extended with the "Object permissions" link.
    """

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        response = super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )
        if add or obj is None or not isinstance(response, TemplateResponse):
            return response
        response.context_data["object_permissions_parent"] = response.resolve_template(
            response.template_name
        )
        response.template_name = CHANGE_FORM_TEMPLATE
        return response


def has_object_permissions(model_admin: admin.ModelAdmin) -> bool:
    """Whether ``model_admin`` already offers guardian's object-permission views."""
    return isinstance(model_admin, GuardedModelAdminMixin) and bool(
        getattr(model_admin, "include_object_permissions_urls", False)
    )


def guarded_admin_class(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """``admin_class`` with guardian's object-permission views added."""
    return type(
        f"ObjectPermissions{admin_class.__name__}",
        (ObjectPermissionsAdminMixin, admin_class),
        {
            "__module__": __name__,
            # GuardedModelAdminMixin comes first in the MRO: keep the original template
            "change_form_template": admin_class.change_form_template,
        },
    )


def missing_object_permissions(site: AdminSite | None = None) -> list[type[Model]]:
    """Data types registered on ``site`` whose admin lacks the object-permission views."""
    site = site or admin.site
    return [
        model
        for model in data_types.allowed_models()
        if site.is_registered(model) and not has_object_permissions(site.get_model_admin(model))
    ]


def add_object_permissions(
    site: AdminSite | None = None, models: list[type[Model]] | None = None
) -> list[type[Model]]:
    """Give every data type (or each of ``models``) registered on ``site`` (default: the
    admin site) guardian's object-permission views; returns the models changed."""
    site = site or admin.site
    if models is None:
        models = missing_object_permissions(site)
    changed = []
    for model in models:
        if not site.is_registered(model):
            continue  # no admin page: nothing to add the views to (see the module doc)
        model_admin = site.get_model_admin(model)
        if has_object_permissions(model_admin):
            continue
        site.unregister(model)
        site.register(model, guarded_admin_class(type(model_admin)))
        changed.append(model)
    return changed
