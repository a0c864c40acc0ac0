"""What docs/performance.md says that no benchmark measures: how the figures are taken,
why a goal is missed (found by profiling), what was optimized. Kept apart from
bench/report.py so that the prose can be revised without touching the table code.

Profiles behind these notes: py-spy (``py-spy record --pid <gunicorn worker>`` during a wrk
round; ``--subprocesses`` on ``run_scheduler`` during a drain) and pyinstrument /
cProfile in-process (``python -m bench.engine --profile``).
"""

from __future__ import annotations

SCHEDULER_METHOD = (
    "Lateness: runs due 2–10 s ahead are scheduled while `run_scheduler` runs; lateness is "
    "`started_at − due_at` (the worker's claim). Throughput: N runs of `bench-tick` (one "
    "`log` step) due now, drained by `run_scheduler` (dispatcher + django-q2 cluster, "
    '`Q_WORKERS=2`), against N `async_task("bench.tasks.run_workflow", "bench-tick")` '
    "drained by a plain `qcluster` on the same broker: the same workflow run by the same "
    "engine with the same run log, minus the scheduler. Both are timed from the first run's "
    "start to the last one's end as their `Run` rows record them, so cluster start-up is "
    "left out; the sides alternate, and each side's median round counts. The raw tasks are "
    "queued before their cluster starts, while ours are queued by the dispatcher during the "
    "drain: our side also pays for queueing (conservative). The no-op row is an extra for "
    "scale (django-q2 alone), not the goal's baseline. Bulk: one run of `bench-fanout` "
    "schedules `bench-item` once per item (`schedule_workflow_on_list`), then "
    "`scheduler.services.cancel` cancels them all; fewer than 100,000 items are scaled "
    "linearly, and the table says so."
)

OUTBOUND_METHOD = (
    "bench/outbound.py: a local server answers `http_request` after {wait:g} s. One API "
    "call starts a run that calls it; once the call has reached the slow server, trivial "
    "API calls (`bench-create-customer`: create one thing and return it) are sent from "
    "{connections} connections (the Python load generator) for {wait:g} s less 2, against "
    "gunicorn with {workers} sync workers (the slow run holds one). The baseline is the same "
    "load with no slow run, measured just before in the same server."
)

SCHEMA_READING = (
    "Adding a nullable field rewrites nothing, so it takes milliseconds whatever the "
    "table's size and holds no write back for longer than an ordinary write. An indexed "
    "(or unique) field builds its index by reading the whole table while inserts wait: "
    "docs/data-types.md says so, and such a change is best made when the table is quiet."
)

PRUNING_METHOD = (
    "bench/pruning.py: {rows:,} finished runs past the retention (two steps each) and one "
    "scheduled run for ten runs, bulk-inserted; then `scheduler.retention.prune_history` "
    "deletes them with the project's settings ({batch} runs per transaction, {pause:.0f} ms "
    "apart), as the scheduler's housekeeping does, while a writer in another process writes "
    "one run and its step per transaction without pause. A batch's time runs from its "
    "transaction's start (on SQLite: once it holds the write lock) to its commit; a write's "
    "from its start to its commit, waiting included. The baseline is the same writer for "
    "3 s with nothing else running."
)
PRUNING_READING = (
    "A batch deletes its runs, their steps and the links to them with one statement each "
    "(workflows/retention.py, `delete_rows`): Django's own deletion loads every row first, "
    "about 0.3 s for 500 runs. On SQLite each batch holds the database's write lock, so "
    "its length bounds what a writer waits, plus SQLite's busy-wait steps (up to 25 ms "
    "apart at first); the pause between batches lets waiting writers in. PostgreSQL locks "
    "only the rows deleted, which nobody else writes: writers wait for nothing. A write is "
    "blocked when it waits for the lock; one slow in its own commit (SQLite copying its "
    "write-ahead log back every 1,000 pages) is counted apart, and happens with the writer "
    "alone too on a large history."
)
OUTBOUND_READING = (
    "On SQLite a run whose changes commit together holds the database's write lock from its "
    "first write to its end: a call to another server after a write makes every other "
    "write wait for that server, so trivial calls queue behind it (p99 ≈ the whole wait). "
    "A call before any write, or `commit: each_step`, holds no lock (the run's transaction "
    "opens at its first writing step; each step commits as it ends), and trivial calls are "
    "unaffected. PostgreSQL locks only the rows written, so no shape slows other calls "
    "there. The builder is told when saving such a workflow on SQLite "
    "(docs/actions.md#when-changes-are-saved)."
)

APP_IMPORT_METHOD = (
    "bench/app_import.py: a local stand-in Bubble app (tests/bubble_import/stand_in.py, in a "
    "process of its own) serves {rows:,} rows over five linked types — users (2 %), units "
    "(28 %: a link to a user, an address, an image), orders (30 %: a list of three units, a "
    "link to a user), reviews (20 %: a link to a unit), payments (20 %: a link to an order) "
    "— 100 rows a page, as Bubble's Data API. Ours: `manage.py import_bubble_app` (the plan "
    "from the Swagger file, the data types made, four pages read at a time, each value read "
    "by its field's type, rows written in bulk by their Bubble id with Bubble's dates, "
    "links and lists resolved once every type arrived, users as accounts, the report). "
    "Baseline: the copy a developer would write by hand for this one app: each type's "
    "pages read one after the other with httpx, plain conversions, `bulk_create` into the "
    "same tables — no links, no users, no checks, no report. One round each, ours first, "
    "the tables emptied between."
)

CSV_METHOD = (
    "bench/csv_import.py: a data type defined without code, `BenchLead`, with six fields "
    "(a unique text, a text, a number, a yes/no, a date, a list of texts), and a file of "
    "{rows:,} rows ({mib:g} MiB) holding them and Bubble's `Created Date` and `unique id` "
    "columns, as a Bubble export has them. Ours: `import_csv` of the file "
    "(workflows/data_model/csv_io.py: each cell read by its field's type, each row checked "
    "as a save checks it, unique fields checked against the file and the table, "
    "`bulk_create` in batches of 1,000, one transaction). Baseline: the loader a developer "
    'would write by hand for that one file, `csv.reader`, `float()`, `== "yes"`, '
    "`datetime.fromisoformat` and a split on commas, then `bulk_create` of the same rows in "
    "batches of 1,000 in one transaction, with no checks and no error report. The table is "
    "emptied before each import; the sides alternate ({rounds}), medians."
)

CSV_READING = (
    "Where ours spends the difference (cProfile, 30,000 rows): `full_clean` of each row "
    "(required fields, lengths, validators: about a sixth of the time), reading the cells "
    "through their codecs (dates through the same parser as date parameters), building the "
    "model instances, and the per-batch look-ups; the INSERTs themselves cost both sides "
    "the same. Unique fields of a type whose table was empty when the import began are "
    "checked against the import's own rows only, with no query; on a table that already "
    "has rows it is one query per unique field per batch."
)

RUNS_METHOD = (
    "bench/runs_admin.py: {rows:,} finished runs bulk-inserted, as a busy shop's log: ten "
    "workflows, 200 users and anonymous calls, 90% succeeded, 8% failed with their error, "
    "2% condition not met, sources mixed (60% API calls, 22% scheduled, 10% triggers, 0.5% "
    "from the admin...), over 30 days; parameters hold an order (a thing), a customer's "
    "email (5,000 customers) and five words, results a tracking number. The text index is "
    "then built as the migration builds it on an existing table. Each view is rendered "
    "in-process by Django's test client as a superuser: one warm-up, then {views} times; "
    "median (max; rows shown). Server time only: queries, template, middleware. A search "
    "marked “recent runs only” answered from the 10,000 most recent runs its filters select "
    "and said so on the page (workflows/admin/run_search.py). Then the write cost: a run's "
    "log written as the engine writes it (the row at the start, its end at the finish, "
    "each committed), rounds with the text index and without it: alternating on SQLite "
    "(the index's triggers taken off and put back), on PostgreSQL with it first, then "
    "dropped once (rebuilding it takes about a minute at a million runs), commits not "
    "waiting for the disk there (`synchronous_commit = off`: the flush is the same with or "
    "without the index, and on this shared machine large and noisy enough to hide it)."
)

RUNS_READING = (
    "Every view is bounded by design, not by luck of the planner: the list counts nothing "
    "(`PeekPaginator` reads the page and one row more), each filter has an index ending in "
    "`started_at` (workflow, status, source, actor: newest first is read from it), a user "
    "is looked up by username or lower-cased email first, and a search reads at most "
    "10,000 recent runs, then at most 5,000 matches from the text index. A search whose "
    "text is in more than 5,000 runs but not among the recent ones the filters select "
    "(the tracking number's start here: runs of 3 to 6 days ago) says so on the page rather "
    "than reading on. The write cost is the text index's work, about 0.2 ms per run on "
    "both databases: breaking some 300 characters into trigrams and filing them. On "
    "PostgreSQL it is a partial GIN index (finished runs: one entry per run, from the "
    "row's final version) whose pending list batches the filing; it is merged by the "
    "writer that fills it or by autovacuum, so one measurement shows 0.02 ms and the next "
    "0.2 ms. On SQLite an FTS5 table costs a segment per transaction, more than the run's "
    "own log: an ended run goes to a queue and the queue is indexed 100 runs at a time by "
    "the run that fills it (about 20 ms then). A first version indexed each run by itself "
    "(+1.5 ms per run) and joined the queue to the run table without forcing the order "
    "(SQLite scanned the million runs once per batch and per search: seconds); both were "
    "found by this benchmark."
)


STEADINESS_METHOD = (
    "{runs:,} trivial runs due at once, drained by one `run_scheduler` (SQLite + ORM "
    "broker, two workers). django-q2 normally replaces a worker after 500 tasks, which would "
    "hide a slow leak: here it is told to keep them (`recycle` past the number of runs, "
    "bench/settings.py), so the same two workers run everything. Memory is the resident "
    "size of the `run_scheduler` process tree, sampled every second. Runs are grouped into "
    "tenths in the order they finished; a tenth's time per run is its wall time divided by "
    "its runs (throughput seen from outside, both workers together). Growth compares the "
    "medians of the last three tenths and the first three, so that one tenth slowed by "
    "other work on the machine is not read as a trend."
)

EDITOR_METHOD = (
    "bench/editor.py: two workflows imported through `import_definitions` (the import "
    "path): one of {steps} steps — make_changes, create_thing, send_email (dynamic values "
    "and an “only when”), schedule_workflow (two parameters) in turn, each reading six "
    "parameters and earlier steps' results, return_data last — and one of one step (a "
    "make_changes). Their admin change pages, and a customer's plain Django admin change "
    "page (no editor), are loaded by headless Chromium {chromium} (Playwright) from "
    "gunicorn (two sync workers pinned to core {core}; Chromium not pinned), each in a "
    "new tab of one logged-in browser context, static files cached: {warmup} warm-up "
    "load(s) of each page, then {loads} rounds alternating their order; medians. "
    "Interactive: the first frame after the document is parsed (its `DOMContentLoaded` "
    "handlers run) and, on an editor page, the editor built "
    "(`#wf-editor[data-ready='true']`). Main-thread CPU: Chromium's `ThreadTime` for the "
    "page's renderer from the navigation until the page settled (editor: the first live "
    "check shown): the page's own work, which does not grow when other processes share "
    "the machine, unlike the wall-clock rows. Click: on step {clicked}'s card (step 1 on "
    "the one-step page) until the frame showing its properties; key: each of six keys "
    "typed at the end of that step's `note` value until the next frame. A click's CPU "
    "includes Playwright's checks before it clicks, alike on both pages."
)

EDITOR_READING = (
    "What the profiles showed (Chromium's CPU profiler and traces over CDP, in throwaway "
    "scripts, on this machine while other work ran). Loading: the editor's script builds "
    "the page in one task (`start` → `render`, 80–100 ms of script for 50 steps: the "
    "trigger box with the page's first CodeMirror input about half of it, the 50 cards "
    "about 30 ms), then the browser lays it out; evaluating the vendored CodeMirror "
    "bundle is about 30 ms; the rest of the page's main-thread time is the admin's own "
    "page (compare the plain page's row). The wall-clock rows are several times the CPU "
    "rows on this shared 2-core machine: the work waits for a core, the plain admin page "
    "alike. `content-visibility: auto` on closed cards saved no CPU at load and made the "
    "click slower (the cards scrolled to are laid out then): it was not kept. "
    "Typing: a key runs the same script with 50 steps as with one; painting the longer "
    "page costs a few ms more per frame, and a key that falls while the live check's "
    "answer is applied (400 KB, about 25 ms of CPU more than with one step) waits for "
    "it: hence the slowest key.\n\n"
    "**Changed: a click on a step card rebuilds two cards, not the editor** "
    "(workflows/static/workflows/editor/editor.js, `select`; steps.js, `stepCard`). "
    "Opening a step's properties rebuilt every card and the trigger box with its inputs: "
    "with 50 steps the click cost 1.4–1.5× the main-thread CPU of the same click with one "
    "step (165 against 117 ms, and 157 against 103, in two A/B runs serving the old and "
    "new scripts to the same browser); now only the card that closes and the one that "
    "opens are rebuilt, as cheap as with one step (107 against 96 ms). Every other change "
    "still rebuilds the whole editor.\n\n"
    '**Changed: the editor\'s modules are fetched together** (`<link rel="modulepreload">` '
    "for each, workflows/admin/editor.py `EDITOR_MODULES`). editor.js imports its modules "
    "in chains four deep, and the browser fetched them one level at a time: a round trip "
    "per level before anything could run. On a quiet machine the 50-step editor was "
    "interactive in 1009 ms before (1 step: 766 ms) and 733 ms after (590 ms), measured "
    "back to back (under heavy load the gain was lost in the noise).\n\n"
    "**The live check's server time grows faster than the steps** (the server table). "
    "Profiled with cProfile (`check_definition` of the 50-step workflow): about a third "
    "was the compiler's `Catalog.get` reading the scheduled workflow and its parameters "
    "from the database again for each use; it now remembers them for one compile "
    "(workflows/engine/compiler.py). Still there: Jinja parsing the 280 templates, and "
    "the answer's size — 96% of its 400 KB is the scope of every step, each listing the "
    "parameters and every earlier step's result (quadratic in the steps). The page is "
    "interactive before the check answers, so the goal does not depend on it; sending "
    "only the scope of the step being edited would cut the rest."
)

NO_WRK = (
    "wrk was not installed: the endpoint's load came from the Python generator in "
    "bench/loadgen.py (one thread per connection, on the same core as wrk would be). It "
    "drives both sides identically, so the ratio holds, but it is slower than wrk and may "
    "itself limit requests/s (`apt-get install wrk`; `make bench` installs it when it can)."
)

_WHY: dict[str, str] = {
    "pruning": (
        "**Pruning run history.** A write blocked past the goal waited for a batch's "
        "transaction (on SQLite the whole database's write lock) or for the CPU: compare "
        "the longest batch with the longest write, and the baseline's longest write (a "
        'saturated machine stretches both). Smaller batches (`BUBBLE["PRUNE_BATCH_SIZE"]`) '
        "shorten each hold; a longer `PRUNE_PAUSE` lets more writes through between them."
    ),
    "schema": (
        "**Changing a large data type.** Adding a nullable field is a change of the table's "
        "definition only on PostgreSQL (no rewrite) and an `ALTER TABLE ... ADD COLUMN` on "
        "SQLite; a miss means the change waited for the table's lock behind a long "
        "transaction (it gives up after 2 s: workflows/data_model/schema.py, LOCK_TIMEOUT) "
        "or the machine was saturated. Look at the baseline's longest write first."
    ),
    "endpoint_ratio": (
        "**Endpoint cost against the DRF view.** Not reachable while a run keeps the "
        "guarantees docs/architecture.md gives it, whatever the engine does: the run log's "
        "floor (the row *extra: the run log's floor* above; bench/baseline.py, "
        "`RunLogFloorView`) is the DRF view plus only the statements a logged run of the same "
        "workflow must make, each written by hand with a cursor (the workflow's row read, "
        "the `Run` row committed before any work so that a crash leaves evidence, then with "
        "the thing the steps' rows and the run's end in one transaction so that effects and "
        "status commit together), and it stays below the goal before a single expression "
        "is evaluated, privacy rule applied or value masked. Through Django, a statement on "
        "SQLite costs tens of microseconds of CPU and a commit more (WAL frames written): "
        "the view makes one INSERT and one commit, a logged run four more statements and a "
        "second commit. The run table's nine indexes (the Runs list's, at a million runs) and "
        "the search index's triggers are a smaller part: in-process (Django's test client, "
        "CPU time), the floor was 0.68-0.70 of the view with them and 0.72-0.78 without, "
        "where over HTTP it is lower still. Between the floor and the workflow is the engine's "
        "own work, no part of it above a tenth of the call (pyinstrument over Django's test "
        "client): the thing's `save()` with validation and trigger bookkeeping, the "
        "`Run` and `StepRun` instances and their values prepared by their fields, the JSON "
        "picture of each step's inputs and output with masking, four expressions, the "
        "data model's and the privacy rules' version checks, the response's privacy "
        "filter. What would meet the goal: the `Run` row written with the effects for short "
        "synchronous calls (one statement and one commit fewer, and no evidence of a run "
        "a crash interrupts), or a goal set against the floor."
    ),
    "endpoint_absolute": (
        "**700 workflow runs/s on one core.** Not reached on this machine: a run costs "
        "about 0.9 ms of Python beyond the DRF view (above), on top of the view's own "
        "1.4 ms. The goal's reference (860–900/s) is a plain DRF view that validates a body "
        "and inserts a row; the baseline here also authenticates the API key (a joined "
        "SELECT and a SHA-512 check) and serializes the row back, as the workflow does. The"
        " ratio to the baseline measured side by side is the portable figure. The project's"
        " settings keep database connections open (`CONN_MAX_AGE`, 60 s, on SQLite too): "
        "closing SQLite's last connection checkpoints the WAL, about 3 ms per request."
    ),
    "endpoint_n8n": (
        "**8× n8n per core on its own scenario.** The multiple is against n8n's figure "
        "measured beside this project on 2026-12-07 (see the endpoint section), on the same "
        "machine: a machine slower or faster per core than that day moves this run's figure "
        "and not n8n's. n8n spent 16.3 ms of server CPU per request on the scenario, this "
        "project 2.05 ms: 8× means at most about 2 ms here, the run's row committed before "
        "its work, its step's log and its end included. Compare the DRF view's figure with "
        "that day's (about 660 requests/s for create-and-return): when it is lower, the "
        "machine is slower, and n8n should be measured beside it again."
    ),
    "throughput": (
        "**Scheduler throughput against raw `async_task` of the same engine run.** Measured "
        "in-process per run (1,000 `bench-tick` runs, three rounds: a scheduled run's "
        "execution against `bench.tasks.run_workflow`) and over drains (`--only "
        "throughput`, run several times). The scheduler adds to each run the dispatcher's "
        "claim (batched: 20–50 µs per run), handing it to django-q2 (one multi-row INSERT "
        "per 50 tasks on the ORM broker, one pipeline on Redis: about 80 µs of CPU per run "
        "on SQLite) and, on the worker, two guarded UPDATEs of the scheduled run: the claim,"
        " committed with the `Run` row, and `succeeded`, committed with the run's effects. "
        "Those are the price of exactly-once completion (the attempt number is the fencing "
        'token), of the reaper and of "effects and status commit together", and are kept. '
        "On SQLite a scheduled run on the worker costs 1.0–1.2× the raw run in-process, and "
        "the drain's ratio moved between 73% and 85% over seven runs this session: the "
        "dispatcher's writes during the drain (the raw side's tasks are queued before its "
        "timing starts) and the two workers share two cores and SQLite's single write lock. "
        "On PostgreSQL + Redis the cost was round trips: a scheduled run made ten to the "
        "server where the raw run makes six, and fell to 68–79% once this round's engine "
        "changes made the shared part of a run cheaper; the claim and the `Run` row are now "
        "one statement (a data-modifying CTE, scheduler/execution.py), three round trips "
        "fewer, and the drains gave 81–97%. What would close more of it on SQLite: queue the"
        " next batch while the workers drain the current one from a separate connection, or "
        "measure both sides with their tasks queued during the drain."
    ),
    "lateness": (
        "**Lateness.** The dispatcher polls every `POLL_INTERVAL` (0.1 s) and django-q2's "
        "pusher every `poll` (0.1 s); a p99 above 1 s means the workers were saturated "
        "(runs due faster than they can be run) or the machine was loaded by other work: "
        "see the load average above."
    ),
    "bulk_write": (
        "**`schedule_workflow_on_list` of 100,000 items.** Profiled (pyinstrument, 20,000 "
        "items): about 55% goes to preparing rows in scheduler/bulk.py (an id, the "
        "parameters as JSON and the due time per row) and sending the multi-row INSERTs "
        "(the database itself: 15% on SQLite, 40% on PostgreSQL, whose server shares the "
        "two cores with everything else), 27% to evaluating each item's parameters in the "
        "expression sandbox (`{{ index }}` here, each evaluation under its own time "
        "budget), 5% to coercing them. The earlier docs/performance.md recorded 3.8 s "
        "(SQLite) and 6.5 s (PostgreSQL) with the same benchmark before the sandbox's "
        "security work (commit 4e2e079) made each evaluation dearer, on a quieter machine: "
        "the figure moves with the load average shown above. Fixed here: due times go "
        "straight to the database's adapter and each row is filled into a prepared "
        "template (about 15% less). What would fix more: evaluate once the parameters that "
        "do not depend on `item` or `index`, and turn a bare `{{ item }}` / `{{ index }}` "
        "into a lookup instead of a sandbox evaluation (workflows/engine/values.py); "
        "`COPY` instead of INSERTs on PostgreSQL."
    ),
    "bulk_cancel": (
        "**Cancelling 100,000 runs.** One guarded UPDATE per batch of `BULK_BATCH_SIZE` "
        "(5,000) ids (`scheduler.services.cancel`). On PostgreSQL 85% of the time is the "
        "server executing them (`EXPLAIN ANALYZE`: about 40 µs per row; the row is "
        "rewritten with new entries in each of the table's five indexes, the status "
        "column being in three of them), sharing the two cores with everything else here "
        "(2.0 s was recorded on a quieter machine). Tried: `id = ANY(%s)` with one array "
        "parameter instead of an `IN` list of 5,000, about 20% less; not applied "
        "(scheduler/services.py was outside this change). What would fix it: that, and "
        "fewer indexes that contain `status` (`sched_status_due_idx` serves the admin's "
        "status filter, which the partial indexes could serve for the statuses it shows)."
    ),
    "admin_scheduler": (
        "**The admin Scheduler page.** Its queries stay fast at a million rows (capped "
        "counts, a two-step page read by index); the time is Django's changelist rendering, "
        "about 2 ms per row here for the Scheduler's eight columns and action checkbox, "
        "with 100 rows per page. Fewer rows per page (the Runs page shows 50) or a "
        "hand-written row template would halve it."
    ),
    "admin_runs": (
        "**The admin Runs page.** It counts nothing since the Runs list's rework "
        "(workflows/admin/paging.py); a slow view here is the template, or a filter the "
        "database answered without the index that ends in `started_at` (see “Runs list”)."
    ),
    "runs_list": (
        "**The Runs list's filters.** Each reads the index of its column ending in "
        "`started_at`; a combination of filters that each select many runs but together "
        "few makes the database read many index entries of the first to find them. An "
        "index on the pair would fix that combination."
    ),
    "runs_search": (
        "**The Runs list's search.** Both steps are bounded (10,000 recent runs, then 5,000 "
        "matches from the index); a slow search is the index's own work for a text made of "
        "very common three-letter parts (the trigram posting lists it intersects grow with "
        "the table). Lower `run_search.INDEX_CAP` or a narrower time window bounds it."
    ),
    "steadiness_time": (
        "**Time per run grew.** Runs finish in the order they were claimed; a growing time "
        "per run with flat memory points at the tables (index depth, SQLite's WAL between "
        "checkpoints) rather than at the workers; compare the engine's own time per tenth."
    ),
    "steadiness_memory": (
        "**Worker memory grew.** With recycling off, a worker's resident size growing by "
        "more than a fifth over the run means something is kept per run (a cache without "
        "bound, the compiled-workflow cache keyed by revision, Django's query log with "
        "DEBUG on); django-q2's default `recycle` (500 tasks) bounds it in production."
    ),
    "csv_import": (
        "**100,000 CSV rows in under 30 s.** Missed in this run: compare the by-hand "
        "loader's time on the same machine in “CSV import”; the INSERTs cost both sides "
        "alike, and the reading above says where the rest goes."
    ),
    "editor_interactive": (
        "**The editor of a 50-step workflow interactive in under a second.** Missed in "
        "wall-clock time in this run. Compare the interactive and main-thread CPU rows of "
        "the table in “Workflow editor”: the page's own work is a fraction of its wall time; "
        "the rest is waiting, for a core (the load average is given there) and for the "
        "server, and Django's plain admin page, with no editor, waits alike (its ratio). Of "
        "the work, 50 steps add about a tenth of a second of CPU to the one-step page (the "
        "cards, their layout, the longer page); the profiles' reading there says where the "
        "rest goes and what was changed."
    ),
}


def why(key: str) -> str:
    """The explanation of a missed goal (its key, with a backend suffix or not)."""
    for prefix, text in _WHY.items():
        if key == prefix or key.startswith(prefix + "_"):
            backend = key[len(prefix) + 1 :]
            suffix = {"sqlite": " (SQLite + ORM broker)", "pg": " (PostgreSQL + Redis)"}
            return text.replace(".**", f"{suffix.get(backend, '')}.**", 1)
    return f"**{key}**: no analysis recorded."


OPTIMIZATIONS = """## What was optimized in this round

Found with the profiles above; each change keeps its tests and the scheduler's guarantees
(atomic claims, guarded UPDATEs, effects and status committing together, the reaper,
exactly-once completion); tests/scheduler/test_execution_cost.py pins the statements a
scheduled run costs and the behaviour changed.

* **Privacy: no object-permission query when a rule already shows everything**
  (workflows/privacy/access.py). `Policy.fields_for` built django-guardian's
  object-permission subquery for every thing a run returns, even when an everyone-else
  rule already granted every field: 28% of the endpoint's request time in the profile.
  It now returns first.
* **Dispatcher: handing runs to django-q2 in batches** (scheduler/queues.py,
  `enqueue_tasks`). `async_task` made a new broker per task (on Redis a new connection)
  and, on the ORM broker outside a transaction, closed and reopened the database connection
  before each insert and committed after it: 7.6 ms of CPU (22 ms of wall time) per run
  queued on SQLite. Now one broker per batch, one transaction (ORM) or one pipeline
  (Redis) per 50 runs: 0.43 ms of CPU per run on SQLite.
* **Worker: the claim and the log row in one transaction, the link in the claim**
  (scheduler/execution.py, workflows/engine/runner.py). Claim, `Run` INSERT and the UPDATE
  linking them were three commits; now the `Run` row is written in one transaction with
  the scheduler's claim, which links the log
  in the same guarded UPDATE. A worker that dies right after claiming now always leaves a
  `Run` for the reaper to close. 7 statements and 4 commits per run became 6 and 2.
* **Bulk scheduling: cheaper rows** (scheduler/bulk.py). Aware due times go straight to
  the database's adapter instead of the field's preparation (a fifth of the insert's
  time), and each row is filled into a prepared template: about 15% less for
  `schedule_workflow_on_list` (20,000 items on SQLite: 2.6 s → 2.2 s).
* **Worker: cheaper statements** (scheduler/transitions.py, scheduler/execution.py). The
  two guarded UPDATEs of every run are built once per process instead of compiled by the
  ORM each time (0.5 ms → 0.1 ms each on SQLite); the scheduled run is loaded with `get()`
  (no ORDER BY), its user in the same query and only the workflow columns a worker reads;
  the scheduling run is linked by id instead of being loaded.

* **Worker: the scheduled run, its workflow and its user in one prepared query**
  (scheduler/loading.py). Building and compiling the ORM's `select_related` query was
  about 0.5 ms of Python per run, as much as the rest of a trivial run's bookkeeping;
  the SQL is now built once per process and the rows converted as Django's compiler
  does (tests/scheduler/test_loading.py compares every field with the ORM's on each
  database). In-process, a scheduled run against the raw engine run went from 62% to
  94% on SQLite; the drain from 72–83% to about 90% (SQLite) and from 67% to about 82%
  (PostgreSQL + Redis).
* **Privacy rules: compiled once per process, checked on every read**
  (workflows/privacy/rules.py). Each run read its data types' rules through the ORM
  (about 0.3 ms per type); now a prepared statement reads only their ids and
  `updated_at` (a few µs) and the rows are read again only when those changed, so an
  edit in the admin still applies at once in every process
  (tests/workflows/privacy/test_rules_cache.py). Engine alone: 2.1 ms → 1.7 ms per run.
* **Expressions: a bare name read without a sandbox call** (workflows/engine/
  expressions.py). `{{ index }}` or `{{ item }}` holding a number, yes/no or nothing is
  read from the scope directly; anything else takes the sandbox with its checks. For
  `schedule_workflow_on_list` this is one evaluation per item.
* **Persistent database connections on SQLite too** (bubble_backend/settings.py,
  `CONN_MAX_AGE`): closing SQLite's last connection checkpoints the WAL, about 3 ms per
  request, and django-q2 closes connections around every task unless they may be kept.
* **Every API call and every run log through prepared statements**
  (workflows/statements.py). The API key with its user, the exposed workflow, the `Run`
  row, the steps and the run's final UPDATE were each built and compiled by the ORM per
  call (0.3–0.5 ms of Python each); their SQL is now built once per process, values are
  prepared by the fields themselves and rows converted as Django's compiler does
  (tests/workflows/test_statements.py compares with the ORM on each database). The
  scheduler's guarded transitions and its worker's load use the same code. (Since
  measured use by use: the guarded transitions saved under 10% of a scheduled run and
  went back to the ORM; see "Hand-written SQL against the ORM".)
* **No second read of a thing the run holds** (workflows/actions/data.py). Validation of a
  foreign key set to an instance already loaded (the run's user, a thing parameter)
  SELECTed it again only to learn it exists; it is skipped for such keys (the database's
  constraint still holds, and a refusal at commit fails the run cleanly).
* **Expressions: `params.<key>` read directly**, as bare names are (workflows/engine/
  expressions.py).

* **Scheduler: the ORM broker's tasks in one INSERT per 50, and on PostgreSQL the claim
  with the `Run` row in one statement** (scheduler/dispatch.py, scheduler/execution.py).
  Dispatcher CPU per run on SQLite: 185 µs → 80 µs. Throughput on PostgreSQL + Redis:
  68–79% → 81–97% of the raw side (four drains).
* **Two indexes fewer on each log table** (workflows/models/runs.py, scheduler/
  models.py): the single-column indexes of the `workflow` and `actor` foreign keys of
  `Run` and `ScheduledRun` duplicated the leading column of their (key, time) indexes,
  and every status change rewrote their entries.

Effect of the first three items of this last round, measured back to back with the quick
profile: endpoint 263 / 552 requests/s (48%) → 441 / 712 (62%); the DRF view gains too,
from the shared API-key read. Engine alone: 1.73 ms → 1.13 ms per run.

Effect of the first round's changes (the first five above), measured before and after on
this machine the same evening (it was shared with other work, so each pair was run back
to back):

| figure (throughput in runs/s) | before | after |
| --- | --- | --- |
| Endpoint requests/s, ours / DRF view (quick settings) | 50 / 175 (29%) | 74 / 171 (43%) |
| Engine alone, time per run of the endpoint workflow | 12.1 ms | 6.7 ms |
| A scheduled run on the worker against the raw engine run (in-process, SQLite) | 47% | 64% |
| Throughput, ours / raw, SQLite (600 × 3) | 57 / 89 (64%) | 79 / 86 (92%) |
| Throughput, ours / raw, PostgreSQL + Redis (300 × 3) | 88 / 181 (48%) | 132 / 191 (69%) |
| Dispatcher: CPU per run handed to django-q2 (SQLite, ORM broker) | 7.6 ms | 0.43 ms |"""

STATEMENTS_METHOD = (
    "bench/statements.py: each statement `workflows/statements.py` writes by hand, and the "
    "ORM's way of doing the same (`select_related(...).filter(...).first()`, "
    "`bulk_create`, `filter(...).update(...)`), timed in-process on the same rows, each "
    "way after the other, median of five rounds; the difference as a share of the call it "
    "is part of, measured in the same run (an API call through Django's test client, a "
    "scheduled run's execution). The project keeps hand-written SQL only where it saves "
    "more than {kept} of its call on either database."
)
