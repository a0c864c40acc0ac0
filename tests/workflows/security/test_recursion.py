"""Security: custom events calling themselves (or each other) stop at BUBBLE_MAX_DEPTH,
leave nothing half-written, and a caller cannot raise the depth."""

from __future__ import annotations

from examples.models import Customer
from workflows.models import Run


def test_a_self_calling_custom_event_stops_at_max_depth(make_workflow, call, settings):
    settings.BUBBLE = {**settings.BUBBLE, "MAX_DEPTH": 5}
    make_workflow(
        "loop",
        kind="custom_event",
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "x", "email": "x@example.com"},
            },
            {"type": "trigger_custom_event", "workflow": "loop"},
        ],
    )
    make_workflow(
        "start",
        expose=True,
        auth="none",
        actions=[{"type": "trigger_custom_event", "workflow": "loop"}],
    )
    response = call("start")
    assert (response.status_code, response.json()["code"]) == (500, "MAX_DEPTH_EXCEEDED")
    assert not Customer.objects.exists()  # everything rolled back
    assert max(Run.objects.values_list("depth", flat=True)) <= 5


def test_mutually_recursive_custom_events_stop_too(make_workflow, call):
    make_workflow("ping", kind="custom_event", actions=[])
    make_workflow(
        "pong", kind="custom_event", actions=[{"type": "trigger_custom_event", "workflow": "ping"}]
    )
    make_workflow(
        "ping", kind="custom_event", actions=[{"type": "trigger_custom_event", "workflow": "pong"}]
    )
    make_workflow(
        "go",
        expose=True,
        auth="none",
        actions=[{"type": "trigger_custom_event", "workflow": "ping"}],
    )
    response = call("go", {"depth": -100, "_depth": -100})  # nothing a caller sends counts
    assert response.json()["code"] == "MAX_DEPTH_EXCEEDED"
    assert max(Run.objects.values_list("depth", flat=True)) <= 10
