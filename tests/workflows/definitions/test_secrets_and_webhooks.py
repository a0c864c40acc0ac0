"""Export/import of secret parameters and webhook signatures: round trips, idempotency, and
a file naming a secret this server does not have is refused at the right line."""

from __future__ import annotations

import pytest

from workflows import secrets, yaml_loader
from workflows.models import Parameter, Workflow
from workflows.transfer import ImportRefused, ImportStatus, export_definitions, import_definitions

from .conftest import line_of

pytestmark = pytest.mark.django_db

SIGNED = """\
version: 1
workflows:
  - name: stripe-events
    expose: true
    auth: none
    webhook: {secret: STRIPE_WEBHOOK_SECRET, scheme: stripe, tolerance: 300}
    parameters:
      - {key: type, type: text}
      - {key: password, type: text, secret: true}
    actions:
      - type: return_data
        data: {type: "{{ params.type }}"}
"""


@pytest.fixture(autouse=True)
def _stripe_secret(monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_STRIPE_WEBHOOK_SECRET", "whsec_roundtrip_value")
    secrets.invalidate()


def test_import_export_round_trip(write):
    report = import_definitions([write("signed.yaml", SIGNED)])
    assert [r.status for r in report.results] == [ImportStatus.CREATED]
    workflow = Workflow.objects.get(name="stripe-events")
    assert workflow.webhook == {
        "secret": "STRIPE_WEBHOOK_SECRET",
        "scheme": "stripe",
        "tolerance": 300,
    }
    assert Parameter.objects.get(key="password").secret is True
    assert Parameter.objects.get(key="type").secret is False

    exported = export_definitions()["workflows"][0]
    assert exported["webhook"] == workflow.webhook
    assert exported["parameters"] == [
        {"key": "type", "type": "text"},
        {"key": "password", "type": "text", "secret": True},
    ]
    text = yaml_loader.dump_yaml(export_definitions())
    assert "whsec_roundtrip_value" not in text  # the name travels, never the value

    again = import_definitions([write("again.yaml", text)])
    assert [r.status for r in again.results] == [ImportStatus.UNCHANGED]
    again = import_definitions([write("signed.yaml", SIGNED)])
    assert [r.status for r in again.results] == [ImportStatus.UNCHANGED]


def test_removing_the_webhook_and_the_secret_flag_is_a_change(write):
    import_definitions([write("signed.yaml", SIGNED)])
    plain = SIGNED.replace(
        "    webhook: {secret: STRIPE_WEBHOOK_SECRET, scheme: stripe, tolerance: 300}\n", ""
    ).replace(", secret: true}", "}")
    report = import_definitions([write("plain.yaml", plain)])
    assert [r.status for r in report.results] == [ImportStatus.UPDATED]
    assert Workflow.objects.get().webhook is None
    assert not Parameter.objects.filter(secret=True).exists()


def test_an_unknown_secret_name_is_refused_at_its_line(write, monkeypatch):
    monkeypatch.delenv("BUBBLE_SECRET_STRIPE_WEBHOOK_SECRET")
    secrets.invalidate()
    with pytest.raises(ImportRefused) as caught:
        import_definitions([write("signed.yaml", SIGNED)])
    text = str(caught.value)
    assert "webhook.secret" in text and "no operator secret named 'STRIPE_WEBHOOK_SECRET'" in text
    assert f"signed.yaml:{line_of(SIGNED, 'webhook:')}" in text
    assert not Workflow.objects.exists()


def test_secret_must_be_true_or_false(write):
    with pytest.raises(ImportRefused, match="parameters\\[1\\].secret: must be true or false"):
        import_definitions([write("bad.yaml", SIGNED.replace("secret: true", "secret: maybe"))])
