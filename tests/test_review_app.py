"""The review app in-process (Starlette's TestClient): views, filters, escaping, token and host checks,
the write API, and the CLI's one-line errors."""

from __future__ import annotations

import re
import socket

import pytest
from starlette.testclient import TestClient

from prefstore import PairConfig, PreferenceStore
from prefstore.review.app import Review, create_app

from .conftest import run_cli
from .review_data import HOSTILE_RUN, SCRIPT, build_store

HOST, PORT = "127.0.0.1", 8765
BASE = f"http://{HOST}:{PORT}"
TOKEN = "test-token-123"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("review-app"))


@pytest.fixture
def client(db, tmp_path):
    # each test decides on its own copy of the store
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    review = Review(copy, PairConfig(), None, "tester", TOKEN)
    app = create_app(review, HOST, PORT)
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        c.db = copy
        response = c.get(f"/?token={TOKEN}")
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert "httponly" in response.headers["set-cookie"].lower()
        assert "samesite=strict" in response.headers["set-cookie"].lower()
        yield c
    review.close()


def write(client, path, body, **headers):
    return client.post(path, json=body, headers={"X-Prefstore-Token": TOKEN, **headers})


def pair_ids(html: str) -> list[str]:
    return re.findall(r'<tr class="pair[^"]*" data-pair="(\d+-\d+)"', html)


def test_reading_needs_the_token_and_a_known_host(db):
    review = Review(db, PairConfig(), None, "tester", TOKEN)
    app = create_app(review, HOST, PORT)
    with TestClient(app, base_url=BASE, follow_redirects=False) as c:
        assert c.get("/").status_code == 403
        assert c.get("/?token=wrong").status_code == 403
        assert c.get("/static/app.js").status_code == 403
        assert c.get(f"/?token={TOKEN}").status_code == 303
        assert c.get("/").status_code == 200
        assert c.get("/static/app.js").status_code == 200
        # DNS rebinding: a foreign name resolving to 127.0.0.1 is refused, even with the cookie
        assert c.get("/", headers={"Host": f"evil.example:{PORT}"}).status_code == 421
        assert c.get("/", headers={"Host": f"localhost:{PORT}"}).status_code == 200
    review.close()


def test_writes_need_the_token_header_a_known_host_and_same_origin(client):
    first = pair_ids(client.get("/pairs").text)[0]
    body = {"action": "exclude", "pairs": [list(map(int, first.split("-")))]}
    assert client.post("/api/decide", json=body).status_code == 403                      # cookie alone is not enough
    assert write(client, "/api/decide", body, **{"X-Prefstore-Token": "nope"}).status_code == 403
    assert write(client, "/api/decide", body, Host=f"evil.example:{PORT}").status_code == 421
    assert write(client, "/api/decide", body, Origin="http://evil.example").status_code == 403
    assert write(client, "/api/decide", body, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    with PreferenceStore(client.db, read_only=True) as store:
        assert store.decisions() == []
    ok = write(client, "/api/decide", body, Origin=BASE, **{"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200, ok.text
    with PreferenceStore(client.db, read_only=True) as store:
        log = store.decisions()
    assert [(d["action"], d["source"], d["author"], d["targets"]) for d in log] == [("exclude", "review", "tester", 1)]


def test_every_text_is_escaped(client):
    pages = [client.get("/").text, client.get("/pairs").text, client.get("/pairs", params={"run_id": HOSTILE_RUN}).text]
    hostile = pair_ids(pages[2])
    assert hostile
    pages += [client.get(f"/pair/{p}").text for p in hostile]
    for html in pages:
        assert "<script>window" not in html and "<img src=x" not in html and "<b>run</b>" not in html
    detail = client.get(f"/pair/{hostile[0]}").text
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in detail
    assert "&lt;b&gt;run&lt;/b&gt;&amp;co" in pages[0]
    assert len(re.findall(r"<script\b", detail)) == 1            # only the page's own app.js


def test_list_filters_and_keyset_links(client):
    html = client.get("/pairs").text
    total = int(re.search(r'id="count" data-pairs="(\d+)"', html).group(1))
    assert len(pair_ids(html)) == 50 < total
    nxt = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    second = client.get(nxt).text
    assert not set(pair_ids(html)) & set(pair_ids(second))
    prev = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert pair_ids(client.get(prev).text) == pair_ids(html)
    only = client.get("/pairs?run_id=r2&min_margin=0.5").text
    assert 0 < int(re.search(r'data-pairs="(\d+)"', only).group(1)) < total
    bad = client.get("/pairs?min_margin=lots")
    assert bad.status_code == 400 and "min_margin: expected a number" in bad.text
    assert client.get("/pair/1-1").status_code == 404
    assert client.get("/pairs?step=nope").status_code == 400
    other = client.get("/pairs?step=other_ttc_step").text
    with PreferenceStore(client.db, read_only=True) as store:
        assert int(re.search(r'data-pairs="(\d+)"', other).group(1)) == store.count_pairs(
            PairConfig(ttc_step_name="other_ttc_step"))
    assert int(re.search(r'data-pairs="(\d+)"', client.get("/pairs").text).group(1)) == total   # back to the default


def test_an_error_page_keeps_the_step(client):
    # the error page shows the live browser's mode; it must not switch the cache back to the default step
    missing = client.get("/pair/1-1?step=other_ttc_step")
    assert missing.status_code == 404 and "other_ttc_step" in missing.text
    assert client.app.state.review.current.config.ttc_step_name == "other_ttc_step"


def test_decide_undo_and_bulk(client):
    ids = [list(map(int, p.split("-"))) for p in pair_ids(client.get("/pairs").text)]
    flip = write(client, "/api/decide", {"action": "flip", "pairs": [ids[0]]}).json()
    assert "flipped 1 pair" in flip["message"]
    page = client.get(f"/pair/{ids[0][0]}-{ids[0][1]}").text
    assert 'badge flipped' in page and f'data-decision="{flip["decision_id"]}"' in page
    undone = write(client, "/api/undo", {"pair": ids[0]}).json()
    assert undone["undoes"] == flip["decision_id"]
    assert write(client, "/api/undo", {"pair": ids[0]}).status_code == 400       # nothing left to undo
    note = write(client, "/api/decide", {"action": "note", "pairs": [ids[1]], "note": "odd <b>"}).json()
    assert "odd &lt;b&gt;" in client.get(f"/pair/{ids[1][0]}-{ids[1][1]}").text
    # bulk: count, confirm the count, one decision for the whole filter result
    count = client.get("/api/selection?run_id=r1&action=exclude").json()["pairs"]
    stale = write(client, "/api/decide", {"action": "exclude", "filter": {"run_id": "r1"}, "expect": count + 1})
    assert stale.status_code == 400 and "changed" in stale.json()["error"]
    bulk = write(client, "/api/decide", {"action": "exclude", "filter": {"run_id": "r1"}, "expect": count}).json()
    assert bulk["pairs"] == count > 50
    with PreferenceStore(client.db, read_only=True) as store:
        assert store.count_pairs(runs=["r1"]) == 0
        log = store.decisions()
    assert [d["targets"] for d in log if d["decision_id"] == bulk["decision_id"]] == [count]
    assert client.get("/api/selection?run_id=r1&action=exclude").json()["pairs"] == 0
    write(client, "/api/undo", {"decision_id": bulk["decision_id"]})
    with PreferenceStore(client.db, read_only=True) as store:
        assert store.count_pairs(runs=["r1"]) == count
    assert note["decision_id"] < bulk["decision_id"]


def test_overview_charts_are_deterministic(client):
    first, second = client.get("/").text, client.get("/").text
    svg = re.findall(r"<svg.*?</svg>", first, re.S)
    assert len(svg) >= 5 and svg == re.findall(r"<svg.*?</svg>", second, re.S)
    with PreferenceStore(client.db, read_only=True) as store:
        data = store.overview()
    bars = re.findall(r'<figure class="chart" data-chart="Candidate scores">.*?</figure>', first, re.S)[0]
    assert sum(map(int, re.findall(r'data-n="(\d+)"', bars))) == data["totals"]["candidates"]
    lint = client.get("/lint")
    assert lint.status_code == 200 and ("identical_texts" in lint.text or "lint is running" in lint.text)


def test_cli_errors_are_one_line(db, tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        result = run_cli("--db", db, "review", "--port", port, "--no-open", timeout=60)
    finally:
        busy.close()
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        f"Error: --port {port}: 127.0.0.1:{port} is in use; choose another port, or --port 0 for a free one"]
    unknown = run_cli("--db", db, "review", "--runs", "r1,nope", "--no-open", timeout=60)
    assert unknown.returncode == 1 and unknown.stderr.strip().splitlines() == [
        "Error: no run 'nope' in the store; see `prefstore runs`"]
    missing = run_cli("--db", tmp_path / "none.duckdb", "review", timeout=60)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: no store at")
    report = run_cli("--db", db, "report", tmp_path / "r.html", timeout=120)
    assert report.returncode == 0 and (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    assert SCRIPT not in (tmp_path / "r.html").read_text()


def test_a_non_loopback_host_warns_and_the_url_names_loopback(db):
    import signal
    import subprocess
    import sys

    from .conftest import cli_env

    proc = subprocess.Popen([sys.executable, "-m", "prefstore", "--db", str(db), "review", "--host", "0.0.0.0",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(), stdin=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline()
        assert re.fullmatch(r"prefstore review: http://127\.0\.0\.1:\d+/\?token=[\w-]+  \(Ctrl-C stops\)\n", line)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    assert proc.stderr.read().startswith("Warning: listening on 0.0.0.0: anyone who can reach this machine")


def test_overview_links_encode_the_step():
    from starlette.requests import Request

    from prefstore.review.views.overview import _links

    def request(query: bytes) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": []})

    assert _links(request(b"")) == "/pairs?"
    assert _links(request(b"step=a%26b%20c")) == "/pairs?step=a%26b+c&"
