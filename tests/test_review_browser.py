"""`prefstore review` end to end: the real server in its own process, driven by a real headless Chromium
(Playwright for Python, Debian's /usr/bin/chromium): browse, filter, open a pair, exclude and flip with
the keys, reload, export; bulk exclude; a stored <script> stays text; writes without the token or from a
foreign host are refused; `prefstore ingest` from another process works while the page is open.

One server and one browser for the module. Skipped with the reason when Playwright or Chromium is
missing, unless PREFSTORE_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
Screenshots of each page land in the module's temp folder (printed with -s).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from prefstore import PairConfig, PreferenceStore
from prefstore.sample_data import SampleSpec, write_nat_eval

from .conftest import cli_env, require, run_cli
from .review_data import HOSTILE_RUN, SCRIPT, build_store

CHROMIUM = os.environ.get("PREFSTORE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def _require(reason: str) -> None:
    require("PREFSTORE_REQUIRE_BROWSER", reason)


try:
    from playwright.sync_api import sync_playwright
except ImportError:
    _require("Playwright for Python is not installed (pip install -e '.[dev]')")
if not shutil.which(CHROMIUM):
    _require(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review-browser")
    db = build_store(folder, items=8)
    proc = subprocess.Popen([sys.executable, "-m", "prefstore", "--db", str(db), "review", "--no-open", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(PREFSTORE_AUTHOR="browser-test"), stdin=subprocess.DEVNULL)
    line = proc.stdout.readline()
    match = re.fullmatch(r"prefstore review: (http://127\.0\.0\.1:(\d+)/\?token=([\w-]+))  \(Ctrl-C stops\)\n", line)
    if not match:
        proc.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {proc.stderr.read()}")
    url, port, token = match.groups()
    yield {"url": url, "base": f"http://127.0.0.1:{port}", "port": int(port), "token": token, "db": db,
           "folder": folder}
    proc.send_signal(signal.SIGINT)                    # Ctrl-C: a clean stop
    assert proc.wait(timeout=30) == 0
    errors = proc.stderr.read()
    assert "Traceback" not in errors, errors
    assert token not in errors + proc.stdout.read()    # the token is in no log


@pytest.fixture(scope="module")
def browser(server):
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(20_000)
        page.on("dialog", lambda dialog: dialog.accept("checked by the browser test")
                if dialog.type == "prompt" else dialog.accept())
        page.goto(server["url"])
        yield page
        chromium.close()


def shot(page, server, name):
    path = server["folder"] / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def wait_reload(page, action):
    with page.expect_navigation():
        action()
    page.wait_for_load_state("load")


def original(db, seqs):
    """The pair named by (chosen_seq, rejected_seq) as the scores alone make it."""
    with PreferenceStore(db, read_only=True, wait=30) as store:
        return next(p for p in store.pairs(PairConfig(apply_decisions=False))
                    if (p.chosen_seq, p.rejected_seq) == seqs)


def nemo_line(pair, swap=False):
    prompt = pair.prompt if isinstance(pair.prompt, str) else pair.prompt[-1].content
    chosen, rejected = pair.chosen_response, pair.rejected_response
    if swap:
        chosen, rejected = rejected, chosen
    return {"prompt": prompt, "chosen_response": chosen, "rejected_response": rejected}


def test_overview_shows_runs_charts_and_lint(browser, server):
    page = browser
    page.wait_for_selector("table.lint")
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        data = store.overview()
    runs = page.locator("table.runs tbody tr").evaluate_all("rows => rows.map(r => r.dataset.run)")
    assert runs == ["r1", "r2", HOSTILE_RUN]
    bars = page.locator('figure[data-chart="Candidate scores"] rect.bar')
    assert bars.count() == 20
    assert sum(int(n) for n in bars.evaluate_all("bars => bars.map(b => b.dataset.n)")) == data["totals"]["candidates"]
    assert page.locator("table.lint tbody tr").count() == 8
    shot(page, server, "overview")


def test_filter_open_exclude_flip_reload_export(browser, server):
    page = browser
    page.click("header nav >> text=Pairs")
    page.select_option("select[name=run_id]", "r2")
    wait_reload(page, lambda: page.click("form.filters button[type=submit]"))
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        expected = store.count_pairs(runs=["r2"])
    assert int(page.locator("#count").get_attribute("data-pairs")) == expected
    assert set(page.locator("tr.pair td.ids span:first-child").all_inner_texts()) == {"r2"}
    shot(page, server, "pairs")
    page.keyboard.press("j")
    assert page.locator("tr.pair").nth(1).get_attribute("class").split()[-1] == "selected"
    wait_reload(page, lambda: page.keyboard.press("Enter"))
    assert page.locator("body").get_attribute("data-page") == "pair"
    first = tuple(map(int, page.locator(".pairhead").get_attribute("data-pair").split("-")))
    wait_reload(page, lambda: page.keyboard.press("x"))
    assert page.locator(".pairhead .badge.excluded").count() == 1
    shot(page, server, "pair")
    wait_reload(page, lambda: page.keyboard.press("j"))
    second = tuple(map(int, page.locator(".pairhead").get_attribute("data-pair").split("-")))
    assert second != first
    chosen_before = page.locator("#chosen-text").inner_text()
    wait_reload(page, lambda: page.keyboard.press("f"))
    page.reload()
    assert page.locator(".pairhead .badge.flipped").count() == 1
    assert page.locator("#rejected-text").inner_text() == chosen_before
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        log = store.decisions()
    assert [(d["action"], d["source"], d["author"]) for d in log] == [("exclude", "review", "browser-test"),
                                                                      ("flip", "review", "browser-test")]
    out = server["folder"] / "train.jsonl"
    run_cli("--db", server["db"], "--wait", "30", "export", out, check=True)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    excluded, flipped = original(server["db"], first), original(server["db"], second)
    assert nemo_line(excluded) not in lines
    assert nemo_line(flipped) not in lines and nemo_line(flipped, swap=True) in lines
    # the list shows both, marked; undo (u) on the flipped pair restores it
    wait_reload(page, lambda: page.keyboard.press("u"))
    assert page.locator(".pairhead .badge.flipped").count() == 0


def test_bulk_exclude_the_filter_result(browser, server):
    page = browser
    page.goto(server["base"] + "/pairs?run_id=r1")
    count = int(page.locator("#count").get_attribute("data-pairs"))
    assert count > 50
    wait_reload(page, lambda: page.click("button[data-bulk=exclude]"))
    assert int(page.locator("#count").get_attribute("data-pairs")) == count     # still listed, marked
    assert page.locator("tr.pair.excluded").count() == 50
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        assert store.count_pairs(runs=["r1"]) == 0
        bulk = store.decisions()[-1]
    assert (bulk["action"], bulk["targets"], bulk["source"]) == ("exclude", count, "review")


def test_a_stored_script_stays_text(browser, server):
    page = browser
    page.goto(server["base"] + "/pairs?" + "run_id=" + "%3Cb%3Erun%3C%2Fb%3E%26co")
    assert page.locator("tr.pair").count() == 3
    wait_reload(page, lambda: page.locator("tr.pair a").first.click())
    assert page.locator("#chosen-text").inner_text() == SCRIPT
    assert page.locator(".msg.role-user .content").inner_text().startswith(SCRIPT)
    assert page.evaluate("typeof window.pwned") == "undefined"
    shot(page, server, "pair-script")
    page.goto(server["base"] + "/")
    assert page.evaluate("typeof window.pwned") == "undefined"


def test_writes_without_token_or_from_a_foreign_host_are_refused(server):
    import httpx

    body = {"action": "exclude", "pairs": [[1, 2]]}
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        before = len(store.decisions())
    with httpx.Client(base_url=server["base"]) as client:
        assert client.post("/api/decide", json=body).status_code == 403
        assert client.post("/api/decide", json=body, headers={"X-Prefstore-Token": server["token"],
                                                              "Host": "evil.example"}).status_code == 421
        assert client.post("/api/decide", json=body, headers={"X-Prefstore-Token": server["token"],
                                                              "Origin": "http://evil.example"}).status_code == 403
        assert client.get("/pairs").status_code == 403                 # no cookie, no token
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        assert len(store.decisions()) == before


def test_ingest_from_another_process_while_serving(browser, server):
    path = server["folder"] / "run3.json"
    write_nat_eval(path, SampleSpec(n_items=5, seed=9))
    started = time.monotonic()
    result = run_cli("--db", server["db"], "ingest", path, "--run-id", "r3")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    browser.goto(server["base"] + "/")
    runs = browser.locator("table.runs tbody tr").evaluate_all("rows => rows.map(r => r.dataset.run)")
    assert runs == ["r1", "r2", HOSTILE_RUN, "r3"]


def test_exclude_and_undo_on_another_step(browser, server):
    # the page's writes name the step it shows: a decision or undo there neither lands on the default step
    # nor switches the server back to it
    path = server["folder"] / "run4.json"
    write_nat_eval(path, SampleSpec(n_items=5, seed=11, step_name="second_step"))
    assert run_cli("--db", server["db"], "ingest", path, "--run-id", "r4").returncode == 0
    page = browser
    step = PairConfig(ttc_step_name="second_step")
    page.goto(server["base"] + "/pairs?step=second_step")
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        before = store.count_pairs(step)
        logged = len(store.decisions())
    assert before > 0
    wait_reload(page, lambda: page.keyboard.press("Enter"))
    assert "step=second_step" in page.url
    wait_reload(page, lambda: page.keyboard.press("x"))
    assert page.locator(".pairhead .badge.excluded").count() == 1
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        assert store.count_pairs(step) == before - 1
    wait_reload(page, lambda: page.keyboard.press("u"))
    assert page.locator(".pairhead .badge.excluded").count() == 0
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        assert store.count_pairs(step) == before
        assert [d["action"] for d in store.decisions()[logged:]] == ["exclude", "undo"]


def test_a_lint_error_is_shown_as_text(browser, server):
    # an error from /lint is JSON that may quote stored names: the page shows it as text, never as markup
    page = browser
    hostile = '<img src=x onerror="window.pwned=1">'

    def overview(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace('data-fresh="yes"', 'data-fresh="no"'))

    page.route(server["base"] + "/", overview)
    page.route(server["base"] + "/lint*", lambda route: route.fulfill(
        status=400, content_type="application/json", body=json.dumps({"error": hostile})))
    try:
        page.goto(server["base"] + "/")
        page.wait_for_function("document.getElementById('lint').textContent.includes('onerror')")
    finally:
        page.unroute(server["base"] + "/lint*")
        page.unroute(server["base"] + "/")
    assert page.locator("#lint img").count() == 0
    assert page.locator("#lint").inner_text() == "lint: " + hostile
    assert page.evaluate("typeof window.pwned") == "undefined"


def test_keys_k_n_and_help_and_bulk_flip(browser, server):
    page = browser
    page.goto(server["base"] + "/pairs?run_id=r2")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator("tr.pair").nth(1).get_attribute("class").split()[-1] == "selected"
    wait_reload(page, lambda: page.keyboard.press("Enter"))
    here = page.locator(".pairhead").get_attribute("data-pair")
    wait_reload(page, lambda: page.keyboard.press("k"))
    assert page.locator(".pairhead").get_attribute("data-pair") != here
    wait_reload(page, lambda: page.keyboard.press("j"))
    assert page.locator(".pairhead").get_attribute("data-pair") == here
    # n asks for the note (the dialog handler answers) and records it on this pair
    wait_reload(page, lambda: page.keyboard.press("n"))
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        note = store.decisions()[-1]
    assert (note["action"], note["note"], note["targets"]) == ("note", "checked by the browser test", 1)
    # ? shows the keys, ? again hides them
    assert page.locator("#help").is_hidden()
    page.keyboard.press("?")
    assert page.locator("#help").is_visible() and "exclude" in page.locator("#help").inner_text().lower()
    page.keyboard.press("?")
    assert page.locator("#help").is_hidden()
    # a bulk flip applies to the whole filter result, as one decision
    page.goto(server["base"] + "/pairs?run_id=r2&max_margin=0.2")
    count = int(page.locator("#count").get_attribute("data-pairs"))
    assert count > 0
    wait_reload(page, lambda: page.click("button[data-bulk=flip]"))
    with PreferenceStore(server["db"], read_only=True, wait=30) as store:
        bulk = store.decisions()[-1]
        flipped = sum(p.flipped for p in store.pairs(runs=["r2"]) if abs(p.score_diff) <= 0.2)
    assert (bulk["action"], bulk["targets"], bulk["source"]) == ("flip", count, "review")
    assert flipped >= 1
