"""The workflow editor of a 50-step workflow in Chromium: time to interactive, a click on a
step card, keys typed in a value, against the same page with one step and Django admin's
plain change page of a thing, measured side by side (issue 13: "the editor of a 50-step
workflow is interactive in under a second").

    .venv/bin/python -m bench --only editor --out /tmp/perf.md   # this benchmark alone
    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.editor prepare --steps 50
    python -m bench.editor browser --base-url URL --session JSON --urls JSON --loads 5

``bench_editor`` (the runner's entry) runs this module twice. ``prepare``, with Django:
imports the two workflows through the project's import path (``import_definitions``, as
``import_workflows`` does), makes a superuser, its session and a customer, then times the
server's side in-process with Django's test client, as bench/admin_pages.py does: each
page's render, the editor's live check of each workflow (``editor/check/``) and
``editor_catalog`` (the catalog every editor page embeds). ``browser``, without Django:
headless Chromium (Playwright, Debian's /usr/bin/chromium) against gunicorn serving the
project on a fresh SQLite database, its static files collected as ``make run`` does. The
server is pinned to core 0 as in the endpoint benchmark; Chromium is not pinned (its
renderer, compositor and browser processes on one core made a click look four times as
slow as on two). Each load is a new tab of one logged-in browser context, so the static
files are in its cache, as for a builder moving between workflows: ``warmup`` loads of
each page, then ``loads`` rounds alternating the pages' order; each figure is the median of
its page's loads.

What a load measures, in the page (an init script; ``performance.now()`` counts from the
start of the navigation), and from Chromium (``Performance.getMetrics``):

* interactive: the first frame after the document is parsed with its ``DOMContentLoaded``
  handlers run and, on an editor page, the editor built (``#wf-editor[data-ready='true']``,
  set by editor.js);
* main-thread CPU: what the renderer's main thread spent until the page settled (editor:
  the first live check shown; plain page: interactive) — the work itself, whatever else
  the machine runs;
* checked (editor): the first frame after the first live check's answer is shown
  (``data-checked``: the steps' summaries, problems, what each step can read);
* click (editor): from the click on a step card to the frame showing its properties;
* key (editor): from each of six keys typed at the end of a value of that step to the next
  frame, the median of the six; then the time from the last key to the live check's
  answer shown (the editor waits 350 ms after the last change before asking).

"The first frame after" is the task after a ``requestAnimationFrame`` callback, the usual
approximation of the next paint.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from .common import Env, log, manage, script
from .endpoint import SERVER_CPU, _free_port, server

GOAL_S = 1.0  # issue 13: the editor of a 50-step workflow is interactive in under a second
STEPS = 50
TYPED = "abcdef"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: as tests/browser/chromium.py launches it
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: the pages measured: the workflow of many steps, the same page with one step, and the
#: admin's plain change page of a thing (no editor)
PAGES = ("long", "one", "plain")
#: the workflow a schedule_workflow step schedules (bench/fixtures.yaml)
SCHEDULED = "bench-create-customer"


# --- the workflows ----------------------------------------------------------------------


def definition(steps: int) -> dict[str, Any]:
    """A workflow of ``steps`` steps as a builder would make it: several parameters, then
    make_changes, create_thing, send_email and schedule_workflow in turn, each reading the
    parameters and earlier steps' results, and return_data last (with more than one step:
    then at least five, the data returned reading the first four)."""
    if 1 < steps < 5:
        raise ValueError("one step, or five and more")
    parameters = [
        {"key": "order", "type": "thing", "data_type": "examples.Order"},
        {"key": "customer", "type": "thing", "data_type": "examples.Customer"},
        {"key": "note", "type": "text", "optional": True},
        {"key": "amount", "type": "number", "default": 10},
        {"key": "due", "type": "date", "optional": True},
        {"key": "notify", "type": "yes_no", "default": True},
    ]
    actions: list[dict[str, Any]] = []
    makers = (_make_changes, _create_thing, _send_email, _schedule_workflow)
    for index in range(steps - 1 if steps > 1 else steps):
        actions.append(makers[index % len(makers)](index))
    if steps > 1:
        actions.append(
            {
                "type": "return_data",
                "data": {
                    "order": "{{ params.order.id }}",
                    "status": "{{ steps.s0.status }}",
                    "customer": "{{ steps.s1.id }}",
                    "emailed": "{{ steps.s2.to }}",
                    "scheduled": "{{ steps.s3.id }}",
                },
            }
        )
    return {
        "name": f"bench-editor-{steps}",
        "kind": "api",
        "description": f"The editor benchmark's workflow of {steps} steps (bench/editor.py).",
        "expose": True,
        "auth": "user",
        "only_when": "params.amount > 0",
        "parameters": parameters,
        "actions": actions,
    }


def _dynamic(expression: str) -> str:
    """A value's dynamic part: ``{{ expression }}``."""
    return "{{ " + expression + " }}"


def _make_changes(index: int) -> dict[str, Any]:
    return {
        "id": f"s{index}",
        "type": "make_changes",
        "thing": _dynamic("params.order"),
        "changes": {
            "status": "paid",
            "note": f"step {index + 1}: " + _dynamic("params.note or 'no note'"),
            "paid_at": _dynamic("now"),
        },
    }


def _create_thing(index: int) -> dict[str, Any]:
    return {
        "id": f"s{index}",
        "type": "create_thing",
        "data_type": "examples.Customer",
        "fields": {
            "name": _dynamic("params.customer.name") + f" ({index})",
            "email": _dynamic("params.customer.email"),
            "user": _dynamic("current_user"),
        },
    }


def _send_email(index: int) -> dict[str, Any]:
    """Steps ``index - 2`` and ``index - 1`` changed the order and created a customer."""
    return {
        "id": f"s{index}",
        "type": "send_email",
        "only_when": "params.notify",
        "to": _dynamic("params.customer.email"),
        "subject": "Order #" + _dynamic("params.order.id") + f": step {index + 1}",
        "body": (
            f"Hello {_dynamic('params.customer.name')},\n\n"
            f"Your order of {_dynamic('params.order.total')} is "
            f"{_dynamic(f'steps.s{index - 2}.status')}.\n"
            f"A customer was added: {_dynamic(f'steps.s{index - 1}.name')}.\n"
        ),
    }


def _schedule_workflow(index: int) -> dict[str, Any]:
    """Step ``index - 2`` created a customer."""
    return {
        "id": f"s{index}",
        "type": "schedule_workflow",
        "workflow": SCHEDULED,
        "at": _dynamic(f"now + days({index // 4 + 1})"),
        "params": {
            "name": _dynamic(f"steps.s{index - 2}.name"),
            "email": _dynamic("params.customer.email"),
        },
    }


# --- prepare: the data, the session, the server's side (runs with Django) -----------------


def _timed(request: Any, views: int) -> dict[str, float]:
    """Median and max seconds of ``request()`` over ``views`` calls after one warm-up."""
    times = []
    for attempt in range(views + 1):
        start = time.perf_counter()
        response = request()
        elapsed = time.perf_counter() - start
        status = getattr(response, "status_code", 200)
        if status != 200:
            raise RuntimeError(f"HTTP {status}")
        if attempt:
            times.append(elapsed)
    return {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4)}


def clicked_step(steps: int) -> int:
    """The step whose card is clicked: a make_changes (every fourth step from the first)
    in the middle of the workflow."""
    return (steps // 2) // 4 * 4


def prepare(steps: int, views: int) -> dict[str, Any]:
    """The workflows, a logged-in superuser and a customer; the server's times."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from examples.models import Customer
    from workflows.definitions import workflow_definition
    from workflows.editor.catalog import editor_catalog
    from workflows.models import Workflow
    from workflows.transfer import WorkflowFile, import_definitions

    definitions = {"long": definition(steps), "one": definition(1)}
    document = json.dumps({"version": 2, "workflows": list(definitions.values())})
    import_definitions([WorkflowFile("bench-editor.json", document)])
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-editor", defaults={"is_staff": True, "is_superuser": True}
    )
    # its own (other benchmarks on the same database create customers by the dozen)
    customer = Customer.objects.create(name="Grace Hopper", email="grace@example.com", user=admin)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    workflows = {key: Workflow.objects.get(name=d["name"]) for key, d in definitions.items()}
    urls = {
        key: reverse("admin:workflows_workflow_change", args=[workflow.pk])
        for key, workflow in workflows.items()
    }
    urls["plain"] = reverse("admin:examples_customer_change", args=[customer.pk])
    server: dict[str, Any] = {
        f"page_{key}": _timed(lambda url=url: client.get(url), views) for key, url in urls.items()
    }
    check_url = reverse("admin:workflows_workflow_editor_check")
    sizes = {"page_long": len(client.get(urls["long"]).content)}
    for key, workflow in workflows.items():
        body = json.dumps({"definition": workflow_definition(workflow)})

        def check(body: str = body) -> Any:
            return client.post(check_url, body, content_type="application/json")

        server[f"check_{key}"] = _timed(check, views)
        sizes[f"check_{key}"] = len(check().content)
    server["catalog"] = _timed(editor_catalog, views)
    return {
        "urls": urls,
        "session": {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        },
        "server": server,
        "bytes": sizes,
    }


# --- browser: Chromium against the running server (no Django) ------------------------------

#: Installed in every page before its own scripts: records, on ``window.__bench``, when the
#: editor is built, when the page is interactive, when the first check is shown, and how long
#: each click and key press takes to its next frame.
INIT_SCRIPT = """
(() => {
  const bench = window.__bench = {events: []};
  const nextFrame = (fn) => requestAnimationFrame(() => setTimeout(fn, 0));
  let parsed = false;
  const maybeInteractive = () => {
    const editor = document.getElementById("wf-editor");
    if (parsed && bench.waiting === undefined && (!editor || editor.dataset.ready === "true")) {
      bench.waiting = true;
      nextFrame(() => { bench.interactive = performance.now(); });
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.target.id !== "wf-editor") continue;
      const data = record.target.dataset;
      if (record.attributeName === "data-ready" && data.ready === "true" && !bench.ready) {
        bench.ready = performance.now();
        maybeInteractive();
      }
      if (record.attributeName === "data-checked") {
        bench.lastChecked = performance.now();
        if (bench.checked === undefined) {
          bench.checked = null;
          nextFrame(() => { bench.checked = performance.now(); });
        }
      }
    }
  }).observe(document, {attributes: true, subtree: true,
                        attributeFilter: ["data-ready", "data-checked"]});
  // registered before the page's own listeners: the frame after is after theirs
  addEventListener("DOMContentLoaded", () => { parsed = true; maybeInteractive(); });
  for (const type of ["click", "keydown"]) {
    addEventListener(type, (event) => {
      const entry = {type, start: event.timeStamp};
      bench.events.push(entry);
      nextFrame(() => { entry.end = performance.now(); });
    }, true);
  }
})();
"""


class _Tab:
    """A new tab of ``context`` with the main thread's CPU clock at hand (Chromium's
    ``ThreadTime`` metric: seconds of CPU the renderer's main thread has used)."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.cdp = context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")

    def cpu_ms(self) -> float:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "ThreadTime") * 1000

    def marks(self) -> dict[str, Any]:
        return self.page.evaluate("window.__bench")

    def frames_done(self, events: int = 1) -> None:
        """Wait until ``events`` clicks or keys were seen, each followed by its frame."""
        self.page.wait_for_function(
            "(n) => window.__bench.events.length >= n"
            " && window.__bench.events.every((e) => e.end !== undefined)",
            arg=events,
        )


def _open(tab: _Tab, url: str, editor: bool) -> dict[str, float]:
    """Load ``url``: until interactive and, on an editor page, until the first check is
    shown (then nothing more runs: the CPU figure is the whole load's)."""
    page = tab.page
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__bench.interactive !== undefined")
    if editor:
        page.wait_for_function("typeof window.__bench.checked === 'number'")
    marks = tab.marks()
    nav = page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {ttfb: n.responseStart, html: n.responseEnd, load: n.loadEventEnd}; })()"
    )
    out = {
        "interactive_ms": marks["interactive"],
        "cpu_ms": tab.cpu_ms(),
        "ttfb_ms": nav["ttfb"],
        "html_ms": nav["html"],
        "load_event_ms": nav["load"],
    }
    if editor:
        out.update(ready_ms=marks["ready"], checked_ms=marks["checked"])
    return out


def _interact(tab: _Tab, step: int) -> dict[str, float]:
    """Click step ``step``'s card, then type TYPED at the end of its note."""
    from playwright.sync_api import expect

    page = tab.page
    before = tab.cpu_ms()
    page.locator(f"#wf-card-{step}").click()
    expect(page.locator(f"#wf-props-{step}")).to_be_visible()
    tab.frames_done()
    click = [e for e in tab.marks()["events"] if e["type"] == "click"][-1]
    out = {"click_ms": click["end"] - click["start"], "click_cpu_ms": tab.cpu_ms() - before}
    value = page.locator(f"#wf-f-actions-{step}-changes-note")
    value.click()
    page.keyboard.press("End")
    tab.frames_done()
    checked_before = tab.marks().get("lastChecked") or 0
    page.evaluate("window.__bench.events = []")
    before = tab.cpu_ms()
    page.keyboard.type(TYPED)
    tab.frames_done(len(TYPED))
    out["key_cpu_ms"] = (tab.cpu_ms() - before) / len(TYPED)
    expect(value).to_contain_text(TYPED)
    page.wait_for_function("(t) => window.__bench.lastChecked > t", arg=checked_before)
    marks = tab.marks()
    keys = [e for e in marks["events"] if e["type"] == "keydown"]
    durations = [e["end"] - e["start"] for e in keys]
    out.update(
        key_ms=statistics.median(durations),
        key_max_ms=max(durations),
        typed_checked_ms=marks["lastChecked"] - keys[-1]["start"],
    )
    return out


def _load(context: Any, url: str, clicked: int | None) -> dict[str, float]:
    """One load of ``url`` in a new tab, then (on an editor page: ``clicked`` is not None)
    a click on step ``clicked``'s card and keys typed in its note; figures in ms."""
    tab = _Tab(context)
    try:
        out = _open(tab, url, editor=clicked is not None)
        if clicked is not None:
            out.update(_interact(tab, clicked))
        return out
    finally:
        tab.page.close(run_before_unload=False)


def measure_browser(
    base_url: str, session: dict[str, str], urls: dict[str, str], steps: int, loads: int,
    warmup: int,
) -> dict[str, Any]:  # fmt: skip
    """Each page's figures: the median of its ``loads`` loads after ``warmup``."""
    from playwright.sync_api import sync_playwright

    clicked = {"long": clicked_step(steps), "one": 0, "plain": None}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in PAGES}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
        )
        context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 768})
        context.set_default_timeout(60_000)
        context.add_cookies([{**session, "url": base_url}])
        context.add_init_script(INIT_SCRIPT)
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        for index in range(-warmup, loads):
            order = PAGES if index % 2 == 0 else tuple(reversed(PAGES))
            for name in order:
                figures_of_load = _load(context, urls[name], clicked[name])
                if index >= 0:
                    figures[name].append(figures_of_load)
        version = browser.version
        browser.close()
    return {
        "chromium": version,
        "pages": {
            name: {key: round(statistics.median(f[key] for f in all_), 1) for key in all_[0]}
            for name, all_ in figures.items()
        },
        "loads_raw": figures,
    }


# --- the runner's entry ------------------------------------------------------------------


def bench_editor(
    env: Env, *, loads: int, warmup: int, steps: int = STEPS, views: int = 5
) -> dict[str, Any]:
    """The editor's figures and their baselines (see the module's docstring)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return {"skipped": f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"}
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    prepared = script(env, __name__, "prepare", f"--steps={steps}", f"--views={views}")
    port = _free_port()
    load_before = os.getloadavg()
    with server(env, port, workers=2):
        browser = script(
            env,
            __name__,
            "browser",
            f"--base-url=http://127.0.0.1:{port}",
            f"--session={json.dumps(prepared['session'])}",
            f"--urls={json.dumps(prepared['urls'])}",
            f"--steps={steps}",
            f"--loads={loads}",
            f"--warmup={warmup}",
            timeout=1800,
        )
    pages = browser["pages"]
    long, one, plain = (pages[name] for name in PAGES)
    log(
        f"editor: interactive {long['interactive_ms']:.0f} ms ({steps} steps), "
        f"{one['interactive_ms']:.0f} ms (1 step), {plain['interactive_ms']:.0f} ms (plain page)"
    )
    return {
        "steps": steps,
        "clicked_step": clicked_step(steps) + 1,
        "views": views,
        "loads": loads,
        "warmup": warmup,
        "chromium": browser["chromium"],
        "server_cpu": SERVER_CPU,
        "load_average": [round(v, 2) for v in (*load_before[:2], *os.getloadavg()[:2])],
        "pages": pages,
        "server": prepared["server"],
        "bytes": prepared["bytes"],
        "ratios": {
            "interactive_to_one": round(long["interactive_ms"] / one["interactive_ms"], 2),
            "interactive_to_plain": round(long["interactive_ms"] / plain["interactive_ms"], 2),
            "cpu_to_one": round(long["cpu_ms"] / one["cpu_ms"], 2),
            "click_to_one": round(long["click_ms"] / one["click_ms"], 2),
            "key_to_one": round(long["key_ms"] / one["key_ms"], 2),
            "check_to_one": round(
                prepared["server"]["check_long"]["median_s"]
                / prepared["server"]["check_one"]["median_s"],
                1,
            ),
        },
        "loads_raw": browser["loads_raw"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="with Django: the data, a session, server times")
    prep.add_argument("--steps", type=int, default=STEPS)
    prep.add_argument("--views", type=int, default=5)
    browse = commands.add_parser("browser", help="Chromium against a running server")
    browse.add_argument("--base-url", required=True)
    browse.add_argument("--session", required=True)
    browse.add_argument("--urls", required=True)
    browse.add_argument("--steps", type=int, default=STEPS)
    browse.add_argument("--loads", type=int, default=5)
    browse.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    if args.command == "prepare":
        import django

        django.setup()
        print(json.dumps(prepare(args.steps, args.views)))
    else:
        result = measure_browser(
            args.base_url, json.loads(args.session), json.loads(args.urls), args.steps,
            args.loads, args.warmup,
        )  # fmt: skip
        print(json.dumps(result))


if __name__ == "__main__":
    main()
