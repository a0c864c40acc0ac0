"""Schemathesis against the app's own OpenAPI document, in-process: no 5xx anywhere.

Every operation of /api/schema/ (each exposed example workflow, its schedule endpoint, the
scheduler, runs and the Data API per data type) gets a bounded number of generated
requests — valid ones and, for bad input, schema-violating ones — sent through the WSGI
app with a staff user's key (and a few anonymously: the everyone-else privacy paths), each
operation from the same seeded database. Any answer of
500 or more is a bug (docs/api.md: a fuzzing run of the OpenAPI schema finds no 5xx).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from examples.services import examples_load

#: (what is generated, examples per operation, sent with the staff key or anonymously)
PASSES = (
    (GenerationMode.POSITIVE, 10, True),
    (GenerationMode.NEGATIVE, 6, True),
    (GenerationMode.POSITIVE, 4, False),
)


@pytest.fixture
def same_connection():
    """Keep the test's connection (and its transaction) across in-process WSGI requests,
    as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def no_throttling(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"key": "0", "address": "0"},
    }


def _describe(exc: BaseException) -> str:
    parts = [str(exc)]
    for sub in getattr(exc, "exceptions", ()):
        parts.append(_describe(sub))
    return "\n".join(parts)


def _checker(operation, mode: GenerationMode, examples: int, headers: dict[str, str]):
    """A hypothesis test sending ``examples`` generated requests to ``operation``."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    return check


def test_no_operation_answers_a_server_error(
    db, same_connection, no_throttling, staff_user, make_key
):
    examples_load()
    key = make_key(staff_user)
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40

    failures: list[str] = []
    for operation in operations:
        for mode, examples, keyed in PASSES:
            headers = {"Authorization": f"Bearer {key}"} if keyed else {}
            check = _checker(operation, mode, examples, headers)
            with transaction.atomic():  # every operation starts from the same data
                try:
                    check()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # noqa: BLE001 - hypothesis raises a group
                    who = "staff key" if keyed else "anonymous"
                    failures.append(f"{operation.label} ({mode.value}, {who}): {_describe(exc)}")
                transaction.set_rollback(True)
    assert not failures, "\n\n".join(failures)
