"""Security: http_request cannot be pointed at the server's own network (SSRF) unless the
operator allows it, redirects included; it ends by its timeout; secrets stay out of logs
and error messages."""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from workflows import engine
from workflows.actions import outbound
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


REFUSED = "not a public address"

# Every spelling of a destination that is not globally routable, each as a URL template
# ({port} is the local test server's). IPv6 forms that carry an IPv4 address are judged by
# that address too; docs/security.md#outbound-requests lists the rules.
NOT_PUBLIC = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://0.0.0.0:{port}/",
    "http://127.1:{port}/",
    "http://2130706433:{port}/",  # 127.0.0.1 as one decimal number
    "http://0x7f000001:{port}/",
    "http://0x7f.1:{port}/",
    "http://017700000001:{port}/",  # octal
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",  # IPv4-mapped
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::7f00:1]:{port}/",  # IPv4-compatible
    "http://[::a9fe:a9fe]/",  # IPv4-compatible 169.254.169.254 (cloud metadata)
    "http://[::ffff:0:7f00:1]:{port}/",  # IPv4-translated
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 (well-known prefix) of 169.254.169.254
    "http://[64:ff9b:1::a9fe:a9fe]/",  # local-use NAT64 (RFC 8215)
    "http://[64:ff9b:1::808:808]/",  # local-use NAT64 is never global, even for 8.8.8.8
    "http://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
    "http://[2001:0:a9fe:a9fe::1]/",  # Teredo, server 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
    "http://[fec0::1]/",  # site-local
    "http://[fc00::1]/",  # unique-local
    "http://[fd00:ec2::254]/",  # AWS's IPv6 metadata address (unique-local)
    "http://[fe80::1]/",  # link-local
    "http://[fe80::1%25eth0]/",  # link-local with a zone id (RFC 6874)
    "http://[ff0e::1]/",  # multicast, global scope
    "http://[::]/",
    "http://[100::1]/",  # discard-only
    "http://[2001:db8::1]/",  # documentation
    "http://[3fff::1]/",  # documentation (RFC 9637)
    "http://[5f00::1]/",  # SRv6 segment identifiers (RFC 9602)
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared (carrier-grade NAT)
    "http://192.0.0.8/",  # IETF protocol assignments
    "http://192.0.2.1/",  # documentation
    "http://198.18.0.1/",  # benchmarking
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
]


@pytest.fixture
def first_hop(settings):
    """A server on 127.0.0.3, the one address the operator allows: a redirect's first hop
    that may be reached while every other local address stays refused."""
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOWED_NETWORKS": ["127.0.0.3/32"]}
    server = HTTPServer(host="127.0.0.3")
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.mark.parametrize("template", NOT_PUBLIC)
def test_addresses_that_are_not_public_are_refused_and_never_contacted(
    fetch, httpserver, template, connected
):
    httpserver.expect_request("/").respond_with_data("internal admin page")
    response = fetch(template.format(port=httpserver.port))
    body = response.json()
    assert response.status_code == 500 and body["code"] == "WORKFLOW_ERROR"
    assert REFUSED in body["message"], body
    assert "internal admin page" not in str(body)
    assert httpserver.log == []  # refused before connecting
    assert httpserver.port not in [port for _, port in connected]


@pytest.mark.parametrize("template", NOT_PUBLIC)
def test_every_redirect_hop_is_checked(fetch, first_hop, httpserver, template):
    """An allowed server redirects to itself, then to a refused address: the last hop is
    checked like the first, whatever spelling the Location header uses."""
    httpserver.expect_request("/").respond_with_data("internal admin page")
    first_hop.expect_request("/go").respond_with_data("", status=302, headers={"Location": "/next"})
    first_hop.expect_request("/next").respond_with_data(
        "", status=307, headers={"Location": template.format(port=httpserver.port)}
    )
    body = fetch(first_hop.url_for("/go")).json()
    assert REFUSED in body["message"], body
    assert [request.path for request, _ in first_hop.log] == ["/go", "/next"]
    assert httpserver.log == []


def test_every_resolved_address_is_checked(fetch, monkeypatch):
    """A name with one public and one private address (or DNS rebinding) is refused."""

    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(outbound.socket, "getaddrinfo", resolve)
    body = fetch("http://internal.example.com/").json()
    assert "10.1.2.3" in body["message"] and REFUSED in body["message"]


def test_operators_can_allow_a_network_or_all_private_addresses(fetch, httpserver, settings):
    httpserver.expect_request("/").respond_with_data("hello")
    url = httpserver.url_for("/")
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    assert fetch(url).json()["response"] == {"text": "hello"}
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOWED_NETWORKS": [], "HTTP_ALLOW_PRIVATE": True}
    assert fetch(url).json()["response"] == {"text": "hello"}


def test_an_allowed_network_covers_the_ipv4_mapped_spelling(fetch, first_hop):
    """The operator allows 127.0.0.3; ::ffff:127.0.0.3 is the same destination."""
    first_hop.expect_request("/").respond_with_data("hello")
    url = f"http://[::ffff:127.0.0.3]:{first_hop.port}/"
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


@pytest.mark.parametrize(
    "url",
    ["http://user:pa55word@[::1/x?key=SECRET", "http://user:pa55word@x.io:99999/x?key=SECRET"],
)
def test_secrets_in_a_url_that_does_not_parse_stay_out_of_error_messages(make_workflow, user, url):
    wf = make_workflow(actions=[{"type": "http_request", "url": f"{{{{ '{url}' }}}}"}])
    message = engine.run(wf, {}, user).error.message
    assert "is not a valid URL" in message, message
    assert "SECRET" not in message and "pa55word" not in message


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
