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


def run(db: Path, reps: int, lint: bool) -> dict:
    import httpx

    server = subprocess.Popen([sys.executable, "-m", "prefstore", "--db", str(db), "review", "--no-open",
                               "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        line = server.stdout.readline()
        url = re.search(r"http://\S+", line).group(0)
        base = url.split("/?token=")[0]
        token = url.split("token=")[1]
        result: dict = {"store": str(db)}
        with httpx.Client(base_url=base, timeout=600, follow_redirects=True) as client:
            result["first_list_s"], _ = timed(client, url.replace("/?", "/pairs?"))
            result["first_overview_s"], _ = timed(client, "/")
            pages = {"list": "/pairs", "list_page_40": None, "list_filtered": "/pairs?min_margin=0.5&max_ratio=1.5",
                     "list_search": "/pairs?search=rook%20fork", "pair": None, "overview": "/"}
            _, page = timed(client, "/pairs")
            total = int(re.search(r'data-pairs="(\d+)"', page.text).group(1))
            first_pair = re.search(r'data-pair="(\d+-\d+)"', page.text).group(1)
            pages["pair"] = f"/pair/{first_pair}"
            pages["list_page_40"] = f"/pairs?after={total // 2}"
            for name, path in pages.items():
                times = [timed(client, path)[0] for _ in range(reps)]
                result[f"{name}_median_s"] = statistics.median(times)
            c, r = map(int, first_pair.split("-"))
            result["decide_s"], _ = timed(client, "/api/decide", method="POST", json={"action": "exclude", "pairs": [[c, r]]},
                                          headers={"X-Prefstore-Token": token})
            result["list_after_decision_s"], _ = timed(client, "/pairs")
            result["pair_after_decision_s"], _ = timed(client, pages["pair"])
            timed(client, "/api/undo", method="POST", json={"pair": [c, r]}, headers={"X-Prefstore-Token": token})
            start = time.perf_counter()
            while True:
                _, response = timed(client, "/lint")
                if response.headers.get("X-Lint-Fresh") == "yes":
                    break
                time.sleep(0.5)
            result["lint_in_page_s"] = time.perf_counter() - start
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
            ("first overview (bins)", "first_overview_s"),
            ("pair list, first page", "list_median_s"), ("pair list, a page in the middle (keyset)", "list_page_40_median_s"),
            ("pair list, margin and length-ratio filter", "list_filtered_median_s"),
            ("pair list, text search", "list_search_median_s"), ("pair page", "pair_median_s"),
            ("overview", "overview_median_s"), ("exclude one pair (POST)", "decide_s"),
            ("pair list after a decision", "list_after_decision_s"), ("pair page after a decision", "pair_after_decision_s"),
            ("lint summary as the overview fetches it", "lint_in_page_s"),
            ("overview with lint", "overview_with_lint_median_s"), ("`prefstore lint`", "prefstore_lint_s")]
    lines = [f"| {result['pairs']:,} pairs | seconds |", "|---|---:|"]
    lines += [f"| {label} | {result[key]:.2f} |" for label, key in rows if key in result]
    lines.append(f"| server peak RSS | {result['server_peak_rss_mb']:.0f} MB |")
    return lines


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
