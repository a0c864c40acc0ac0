"""Deploying: the development version, checked, becomes a numbered, immutable ``Version``.

The live version is the one with the highest number, so a deploy is one INSERT: callers
and runs see the old version until its transaction commits and the new one after, never a
mix. Two deploys at once cannot both take a number (it is unique): the second is refused
and may simply be run again. A rollback deploys an earlier version's snapshot again as a
new number; history only grows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.dispatch import Signal

from ..engine.compiler import Catalog, WorkflowInfo, compile_definition
from ..exceptions import DefinitionError, WorkflowError
from ..models import Version
from ..privacy.definitions import check_rule
from . import snapshot

#: sent once a deploy has committed, with ``version``: what follows the live version (the
#: scheduler's workflow schedules) moves with it
deployed = Signal()


class DeployRefused(WorkflowError):
    """Nothing was deployed; ``problems`` says why, one line each."""

    code = "DEPLOY_REFUSED"
    http_status = 400

    #: problems named in the message (``problems`` has them all)
    SHOWN = 20

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = len(problems) - self.SHOWN
        shown = problems[: self.SHOWN] + ([f"and {more} more"] if more > 0 else [])
        super().__init__("; ".join(shown))


class NothingToDeploy(DeployRefused):
    """The development version is the live one already."""

    code = "NOTHING_TO_DEPLOY"


class SnapshotCatalog(Catalog):
    """The workflows of one snapshot only: a version's workflows may name each other, not
    what development has since."""

    def _from_database(self, name: str) -> WorkflowInfo | None:
        return None


def problems(definition: Mapping[str, Any]) -> list[str]:
    """Why ``definition`` cannot go live: each workflow that does not compile against the
    snapshot's other workflows and today's data model, each privacy rule that does not
    check. Empty when it can."""
    from ..transfer import workflow_info

    workflows = [w for w in definition.get("workflows") or () if isinstance(w, Mapping)]
    catalog = SnapshotCatalog({w["name"]: workflow_info(w) for w in workflows if w.get("name")})
    found: list[str] = []
    for workflow in workflows:
        try:
            compile_definition(workflow, catalog=catalog)
        except DefinitionError as exc:
            found += [f"workflow {workflow.get('name')!r}: {issue}" for issue in exc.issues]
        except WorkflowError as exc:
            found.append(f"workflow {workflow.get('name')!r}: {exc.message}")
    for rule in definition.get("privacy_rules") or ():
        name = snapshot.item_name("privacy_rules", rule)
        found += [f"privacy rule {name!r}: {issue}" for issue in check_rule(rule)]
    return found


def live() -> Version | None:
    """The live version: the highest number (None before the first deploy)."""
    return Version.objects.order_by("-number").first()


def deploy(*, message: str, user: Any = None, restore: Version | None = None) -> Version:
    """Make the development version (or, ``restore``, an earlier version's snapshot) the
    live one, as the next number. Raises ``DeployRefused``: the snapshot has problems,
    nothing changed since the live version, or another deploy took the number first.

    The snapshot is read in the transaction that writes the version, as one consistent
    view (SQLite's read transaction; REPEATABLE READ on PostgreSQL): an edit saved
    meanwhile is wholly in it or wholly out, never half a workflow."""
    try:
        with transaction.atomic():
            _consistent_reads()
            definition = dict(restore.definition) if restore is not None else snapshot.development()
            found = problems(definition)
            if found:
                raise DeployRefused(found)
            previous = live()
            changes = snapshot.changes_between(
                previous.definition if previous is not None else None, definition
            )
            if previous is not None and not changes:
                raise NothingToDeploy([f"nothing to deploy: it is the same as the live {previous}"])
            actor = user if isinstance(user, Model) and user.pk is not None else None
            made = Version.objects.create(
                number=(previous.number if previous is not None else 0) + 1,
                message=message,
                author=actor,
                author_name=actor.get_username() if actor is not None else "",
                definition=definition,
                changes=[c.as_record() for c in changes],
                restored_from=restore.number if restore is not None else None,
            )
            transaction.on_commit(lambda: deployed.send(sender=Version, version=made))
            return made
    except IntegrityError:
        raise DeployRefused(
            ["another deploy took this version's number first: look at it, then deploy again"]
        ) from None


def _consistent_reads() -> None:
    """Every read of the transaction just opened sees one snapshot of the database. On
    PostgreSQL that is REPEATABLE READ, which must be set before its first query (inside
    a caller's transaction it is too late: the caller's level stays)."""
    if connection.vendor != "postgresql" or connection.savepoint_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
