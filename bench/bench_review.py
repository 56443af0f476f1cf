"""The review page on a big store, over real HTTP: `prefstore review` in its own process, timed requests.

    python bench/bench_review.py --db /tmp/bench-data/M.duckdb [--reps 5] [--lint]

Starts `prefstore review --no-open --port 0` on the store, reads the URL from its one printed line,
then times each page over HTTP (httpx, one connection): the first request after the start (it builds
the cache) separately, then the median of --reps requests of each page; a decision (exclude one
pair) and the list after it (decision flags refreshed on the cache); the lint summary as the page
fetches it. Reports the server's peak RSS (VmHWM from /proc). With --lint also times `prefstore lint`.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return env


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(client, url: str, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    response = client.request(kwargs.pop("method", "GET"), url, **kwargs)
    elapsed = time.perf_counter() - start
    if response.status_code >= 400:
        raise SystemExit(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    return elapsed, response


def _wait_lint(client) -> float:
    """Seconds until the lint summary the overview fetches is fresh (as the page polls it)."""
    start = time.perf_counter()
    while True:
        _, response = timed(client, "/lint")
        if response.headers.get("X-Lint-Fresh") == "yes":
            return time.perf_counter() - start
        time.sleep(0.25)


def run(db: Path, reps: int, lint: bool) -> dict:
    import httpx

    server = subprocess.Popen([sys.executable, "-m", "prefstore", "--db", str(db), "review", "--no-open",
                               "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        line = server.stdout.readline()
        found = re.search(r"http://\S+", line)
        if not found:
            server.wait(timeout=60)
            raise SystemExit(f"prefstore review did not start: {server.stderr.read().strip()}")
        url = found.group(0)
        base = url.split("/?token=")[0]
        token = url.split("token=")[1]
        result: dict = {"store": str(db)}
        with httpx.Client(base_url=base, timeout=600, follow_redirects=True) as client:
            result["first_list_s"], _ = timed(client, url.replace("/?", "/pairs?"))
            # the pages first, then the overview (which starts lint in the background: pages timed
            # while it runs would measure the two cores shared with it)
            pages = {"list": "/pairs", "list_page_40": None, "list_filtered": "/pairs?min_margin=0.5&max_ratio=1.5",
                     "list_search": "/pairs?search=rook%20fork", "pair": None}
            _, page = timed(client, "/pairs")
            total = int(re.search(r'data-pairs="(\d+)"', page.text).group(1))
            first_pair = re.search(r'data-pair="(\d+-\d+)"', page.text).group(1)
            pages["pair"] = f"/pair/{first_pair}"
            pages["list_page_40"] = f"/pairs?after={total // 2}"
            for name, path in pages.items():
                times = [timed(client, path)[0] for _ in range(reps)]
                result[f"{name}_median_s"] = statistics.median(times)
                if name == "list_search":
                    result["list_search_first_s"] = times[0]
            result["first_overview_s"], _ = timed(client, "/")
            result["overview_median_s"] = statistics.median(timed(client, "/")[0] for _ in range(reps))
            result["lint_in_page_s"] = _wait_lint(client)
            c, r = map(int, first_pair.split("-"))
            result["decide_s"], _ = timed(client, "/api/decide", method="POST", json={"action": "exclude", "pairs": [[c, r]]},
                                          headers={"X-Prefstore-Token": token})
            result["list_after_decision_s"], _ = timed(client, "/pairs")
            result["pair_after_decision_s"], _ = timed(client, pages["pair"])
            timed(client, "/api/undo", method="POST", json={"pair": [c, r]}, headers={"X-Prefstore-Token": token})
            # bulk: every pair with a margin under 0.1, counted, then recorded as one decision, then undone
            bulk_filter = {"max_margin": "0.1"}
            result["bulk_count_s"], response = timed(client, "/api/selection", params={**bulk_filter, "action": "exclude"})
            result["bulk_pairs"] = response.json()["pairs"]
            result["bulk_exclude_s"], response = timed(
                client, "/api/decide", method="POST", headers={"X-Prefstore-Token": token},
                json={"action": "exclude", "filter": bulk_filter, "expect": result["bulk_pairs"]})
            bulk_id = response.json()["decision_id"]
            result["list_after_bulk_s"], _ = timed(client, "/pairs")
            result["bulk_undo_s"], _ = timed(client, "/api/undo", method="POST", json={"decision_id": bulk_id},
                                             headers={"X-Prefstore-Token": token})
            result["list_after_bulk_undo_s"], _ = timed(client, "/pairs")
            result["lint_after_decisions_s"] = _wait_lint(client)
            result["overview_with_lint_median_s"] = statistics.median(timed(client, "/")[0] for _ in range(reps))
            result["pairs"] = total
        result["server_peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    if lint:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "prefstore", "--db", str(db), "lint", "--fail-on", "never"],
                       check=True, capture_output=True, env=_env())
        result["prefstore_lint_s"] = time.perf_counter() - start
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()}


def table(result: dict) -> list[str]:
    rows = [("first request after start (builds the cache): list", "first_list_s"),
            ("pair list, first page", "list_median_s"), ("pair list, a page in the middle (keyset)", "list_page_40_median_s"),
            ("pair list, margin and length-ratio filter", "list_filtered_median_s"),
            ("pair list, text search (a new text: first request)", "list_search_first_s"),
            ("pair list, text search (paging it: median)", "list_search_median_s"), ("pair page", "pair_median_s"),
            ("first overview (bins; starts lint in the background)", "first_overview_s"),
            ("overview", "overview_median_s"),
            ("lint summary as the overview fetches it (lint in the server)", "lint_in_page_s"), ("exclude one pair (POST)", "decide_s"),
            ("pair list after a decision", "list_after_decision_s"), ("pair page after a decision", "pair_after_decision_s"),
            ("bulk: count a filter result (margin < 0.1)", "bulk_count_s"),
            ("bulk: exclude it as one decision (POST)", "bulk_exclude_s"),
            ("pair list after the bulk decision", "list_after_bulk_s"), ("undo the bulk decision", "bulk_undo_s"),
            ("pair list after the undo", "list_after_bulk_undo_s"),
            ("lint again, after those decisions", "lint_after_decisions_s"),
            ("overview with lint", "overview_with_lint_median_s"), ("`prefstore lint`", "prefstore_lint_s")]
    lines = [f"| {result['pairs']:,} pairs (bulk: {result.get('bulk_pairs', 0):,}) | seconds |", "|---|---:|"]
    lines += [f"| {label} | {result[key]:.2f} |" for label, key in rows if key in result]
    lines.append(f"| server peak RSS | {result['server_peak_rss_mb']:.0f} MB |")
    return lines


REVIEW_SCALES = ("S", "M")
TARGET_PAGE_S = 1.0
TARGET_OVERVIEW_S = 2.0
TARGET_LINT_S = 10.0
TARGET_RSS_MB = 1024


def run_scales(scales: list[str], reps: int, data: Path) -> list[dict]:
    """For run_all.py: a fresh store per scale (ingested from bench/gen_nat.py's input), then `run`."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import measure

    rows = []
    for scale in [s for s in scales if s in REVIEW_SCALES]:
        db = data / f"review-{scale}.duckdb"
        measure.remove_store(db)
        measure.measure(measure.prefstore("--db", db, "ingest", "--quiet", measure.input_file(scale, data)), 1)
        rows.append({"scale": scale, "reps": reps, **run(db, reps, lint=True)})
        measure.remove_store(db)
    return rows


def verdicts(rows: list[dict]) -> list[tuple[bool, str]]:
    out = []
    for r in rows:
        pages = {k: v for k, v in r.items() if k.endswith("_median_s") and not k.startswith("overview")}
        worst = max(pages, key=pages.get)
        out.append((pages[worst] < TARGET_PAGE_S,
                     f"review {r['scale']}: every page under {TARGET_PAGE_S:g} s median (slowest: {worst[:-9]} "
                     f"{pages[worst]:.2f} s; the first request after the start builds the cache: {r['first_list_s']:.1f} s)"))
        out.append((r["overview_median_s"] < TARGET_OVERVIEW_S,
                     f"review {r['scale']}: overview {r['overview_median_s']:.2f} s median (target < {TARGET_OVERVIEW_S:g} s)"))
        out.append((r["prefstore_lint_s"] < TARGET_LINT_S,
                     f"review {r['scale']}: `prefstore lint` {r['prefstore_lint_s']:.1f} s (target < {TARGET_LINT_S:g} s)"))
        out.append((r["server_peak_rss_mb"] < TARGET_RSS_MB,
                     f"review {r['scale']}: server peak RSS {r['server_peak_rss_mb']:.0f} MB (target < 1 GB)"))
    return out


def commands(rows: list[dict]) -> list[str]:
    return [f"python bench/bench_review.py --db DATA/review-{r['scale']}.duckdb --reps {r['reps']} --lint" for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="an ingested store (e.g. M: bench/gen_nat.py --scale M)")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--lint", action="store_true", help="also time `prefstore lint` on the store")
    args = parser.parse_args(argv)
    result = run(args.db, args.reps, args.lint)
    print(json.dumps(result))
    print("\n".join(table(result)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
