"""Privacy rules are part of a version: live callers get the deployed rules, /version-test/
the rules being edited (docs/versions.md)."""

from __future__ import annotations

from workflows.models import PrivacyRule
from workflows.versions.deploy import deploy

LIST = "/api/1.1/obj/examples.order"


def notes(api, path: str, key: str) -> list[str]:
    response = api.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return sorted(r.get("note", "-") for r in response.json()["response"]["results"])


def test_live_reads_follow_the_deployed_rules(shop, owner_rules, api, make_key, user):
    key = make_key(user)
    deploy(message="owners see their orders")
    # development: owners no longer find their orders in searches
    PrivacyRule.objects.filter(condition="thing.customer.user == current_user").update(
        find_in_searches=False
    )
    assert notes(api, LIST, key) == ["a1", "a2"]  # live: as deployed
    assert notes(api, "/version-test" + LIST, key) == []  # development: as edited
    deploy(message="owners search no more")
    assert notes(api, LIST, key) == []
