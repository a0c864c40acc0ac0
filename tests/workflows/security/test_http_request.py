"""Security: http_request cannot be pointed at the server's own network (SSRF) unless the
operator allows it, redirects included; it ends by its timeout; secrets stay out of logs
and error messages."""

from __future__ import annotations

import ipaddress
import socket
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.wrappers import Response

from workflows import engine
from workflows.actions import http
from workflows.engine.serialize import MASK

URL_PARAM = [{"key": "url", "type": "text"}]


@pytest.fixture(autouse=True)
def _defaults(settings):
    """The shipped defaults, whatever a local .env says."""
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": False, "HTTP_ALLOWED_NETWORKS": []}


Address = tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]


@pytest.fixture
def connected(monkeypatch) -> list[Address]:
    """The (address, port) of every TCP connection this process opens during the test (the
    database's and the cache's too): proof of what was contacted, where a time limit would
    only suggest it."""
    opened: list[Address] = []
    connect = socket.socket.connect

    def recording(sock: socket.socket, address: object) -> object:
        if isinstance(address, tuple):
            opened.append((ipaddress.ip_address(address[0].split("%")[0]), address[1]))
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    return opened


@pytest.fixture
def fetch(make_workflow, call):
    """An anonymous caller choosing the URL of an exposed `auth: none` workflow."""
    make_workflow(
        "fetch",
        expose=True,
        auth="none",
        parameters=URL_PARAM,
        actions=[
            {"id": "r", "type": "http_request", "url": "{{ params.url }}", "timeout": 2},
            {"type": "return_data", "data": {"text": "{{ steps.r.text }}"}},
        ],
    )
    return lambda url: call("fetch", {"url": url})


LOOPBACK = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://2130706433:{port}/",  # 127.0.0.1 as one number
    "http://0x7f000001:{port}/",
    "http://127.1:{port}/",
    "http://0.0.0.0:{port}/",
]


@pytest.mark.parametrize("template", LOOPBACK)
def test_loopback_is_refused_and_never_contacted(fetch, httpserver, template, connected):
    httpserver.expect_request("/").respond_with_data("internal admin page")
    response = fetch(template.format(port=httpserver.port))
    body = response.json()
    assert response.status_code == 500 and body["code"] == "WORKFLOW_ERROR"
    assert "loopback, private or link-local" in body["message"]
    assert "internal admin page" not in str(body)
    assert httpserver.log == []  # refused before connecting
    assert httpserver.port not in [port for _, port in connected]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 form of 169.254.169.254
        "http://[2002:a9fe:a9fe::]/",  # 6to4 form of 169.254.169.254
        "http://224.0.0.1/",
    ],
)
def test_private_and_metadata_addresses_are_refused(fetch, url, connected):
    body = fetch(url).json()
    assert "loopback, private or link-local" in body["message"], body
    target = ipaddress.ip_address(urlsplit(url).hostname)
    assert target not in [address for address, _ in connected]  # no connection attempted


def test_every_resolved_address_is_checked(fetch, monkeypatch):
    """A name with one public and one private address (or DNS rebinding) is refused."""

    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(http.socket, "getaddrinfo", resolve)
    body = fetch("http://internal.example.com/").json()
    assert "10.1.2.3" in body["message"] and "private" in body["message"]


@pytest.mark.parametrize(
    "target", ["http://127.0.0.2:{port}/secret", "http://169.254.169.254/", "http://[::1]:{port}/"]
)
def test_redirects_to_private_addresses_are_refused(fetch, httpserver, settings, target):
    # the first hop is allowed (as a public server would be); where it redirects is not
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
    location = target.format(port=httpserver.port)
    httpserver.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": location}
    )
    body = fetch(httpserver.url_for("/go")).json()
    assert "loopback, private or link-local" in body["message"], body
    assert [request.path for request, _ in httpserver.log] == ["/go"]


def test_operators_can_allow_a_network_or_all_private_addresses(fetch, httpserver, settings):
    httpserver.expect_request("/").respond_with_data("hello")
    url = httpserver.url_for("/")
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    assert fetch(url).json()["response"] == {"text": "hello"}
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOWED_NETWORKS": [], "HTTP_ALLOW_PRIVATE": True}
    assert fetch(url).json()["response"] == {"text": "hello"}


def test_a_slow_dripping_server_cannot_outlast_the_timeout(
    make_workflow, user, httpserver, settings
):
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}

    finished = threading.Event()

    def drip(request):
        def body():
            # a byte every 0.1 s, well within the per-read timeout, until the test is over:
            # only the total timeout can end the request
            while not finished.wait(0.1):
                yield b"x"

        return Response(body(), content_type="text/plain")

    httpserver.expect_request("/drip").respond_with_handler(drip)
    wf = make_workflow(
        actions=[{"type": "http_request", "url": httpserver.url_for("/drip"), "timeout": 1}]
    )
    try:
        result = engine.run(wf, {}, user)
    finally:
        finished.set()
    assert not result.ok and "timed out" in result.error.message


def test_secrets_in_the_url_stay_out_of_error_messages(make_workflow, user, settings):
    settings.BUBBLE = {
        **settings.BUBBLE,
        "HTTP_ALLOW_PRIVATE": True,
        "SETTINGS": {"KEY": "sk_live_SECRET"},
    }
    wf = make_workflow(
        actions=[
            {
                "type": "http_request",
                "url": "http://user:pa55word@127.0.0.1:1/charge?api_key={{ settings.KEY }}",
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert "failed" in result.error.message and "127.0.0.1:1/charge" in result.error.message
    assert "SECRET" not in result.error.message and "pa55word" not in result.error.message
    assert "SECRET" not in result.run.error_message


def test_credentials_are_masked_in_the_step_log(
    make_workflow, staff_user, httpserver, settings, api, make_key
):
    key = make_key(staff_user)  # staff read each step's inputs and output
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    httpserver.expect_request("/me").respond_with_json(
        {"ok": True}, headers={"Set-Cookie": "session=s3ss10n"}
    )
    make_workflow(
        "me",
        expose=True,
        actions=[
            {
                "type": "http_request",
                "url": httpserver.url_for("/me"),
                "headers": {"Authorization": "Bearer s3cret", "X-Api-Key": "k3y"},
                "query": {"token": "t0ken"},
            }
        ],
    )
    run_id = api.post("/api/1.1/wf/me", HTTP_AUTHORIZATION=f"Bearer {key}")["X-Run-Id"]
    run = api.get(f"/api/1.1/runs/{run_id}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    step = run["response"]["steps"][0]
    assert step["inputs"]["headers"] == {"Authorization": MASK, "X-Api-Key": MASK}
    assert step["inputs"]["query"] == {"token": MASK}
    assert step["output"]["headers"]["set-cookie"] == MASK
    for secret in ("s3cret", "k3y", "t0ken", "s3ss10n"):
        assert secret not in str(run)


def test_an_invalid_allowed_network_is_reported_by_manage_py_check(settings):
    from workflows.checks import check_http_networks

    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOWED_NETWORKS": ["10.0.0.0/8", "10.0.0.0/33"]}
    assert [problem.id for problem in check_http_networks(None)] == ["workflows.E003"]
