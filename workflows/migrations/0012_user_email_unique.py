"""Users' emails unique in any case, in the database too (docs/security.md#user-accounts).

The account actions and every save of a user already refuse a taken email
(``workflows.accounts.check_email_unique``); this index stops two sign-ups with one email
at the same moment. Blank emails (users made without one) are left out. When users already
share an email, the migration stops and lists them: give each their own (admin → Users),
then migrate again. Self-contained, as a migration must be: it reads no project code.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import migrations, models
from django.db.models.functions import Lower

#: the index's name; workflows.accounts.EMAIL_UNIQUE_CONSTRAINT recognizes its refusals
NAME = "bubble_user_email_unique_ci"
#: how many clashing emails the refusal lists
SHOWN = 20


def _email_field(model):
    """The user model's email field name, or None when it has none."""
    name = get_user_model().get_email_field_name()
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return name


def _constraint(field):
    return models.UniqueConstraint(Lower(field), condition=~models.Q(**{field: ""}), name=NAME)


def _clashes(model, field):
    """Lower-cased emails more than one user has, with those users' ids."""
    rows = (
        model._default_manager.exclude(**{field: ""})
        .exclude(**{f"{field}__isnull": True})
        .annotate(folded=Lower(field))
        .values_list("folded", "pk")
        .order_by("folded", "pk")
    )
    owners = {}
    for folded, pk in rows.iterator():
        owners.setdefault(folded, []).append(pk)
    return {email: ids for email, ids in owners.items() if len(ids) > 1}


def add_index(apps, schema_editor):
    model = apps.get_model(settings.AUTH_USER_MODEL)
    field = _email_field(model)
    if field is None:
        return
    clashes = _clashes(model, field)
    if clashes:
        lines = [
            f"  {email}: users {', '.join(str(pk) for pk in ids)}"
            for email, ids in list(clashes.items())[:SHOWN]
        ]
        if len(clashes) > SHOWN:
            lines.append(f"  … and {len(clashes) - SHOWN} more")
        raise RuntimeError(
            f"{len(clashes)} email(s) belong to more than one user (in any case), and a "
            "user's email must be unique:\n"
            + "\n".join(lines)
            + "\nGive each user their own email (admin → Users), then run "
            "`python manage.py migrate` again."
        )
    schema_editor.add_constraint(model, _constraint(field))


def remove_index(apps, schema_editor):
    model = apps.get_model(settings.AUTH_USER_MODEL)
    field = _email_field(model)
    if field is not None:
        schema_editor.remove_constraint(model, _constraint(field))


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0011_parameter_querystring"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
