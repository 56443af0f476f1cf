"""Shared benchmark helpers: run one command in a fresh process, time it, take its peak RSS.

Every measured operation runs in its own subprocess (the real `prefstore`
CLI, the baseline script, or `bench/driver.py` for library calls), so peak
memory is that operation's alone: `os.wait4` returns the child's own
rusage (ru_maxrss), which is what `/usr/bin/time -v` reports as "Maximum
resident set size".
"""

from __future__ import annotations

import argparse

import dataclasses
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_DATA = Path("/tmp/bench-data")


@dataclasses.dataclass
class Sample:
    """One run of one command."""

    seconds: float
    peak_rss_mb: float
    stdout: str


@dataclasses.dataclass
class Measured:
    """Several runs of one command: medians, and the command line to reproduce it."""

    command: str
    seconds: float
    peak_rss_mb: float
    runs: list[float]
    outputs: list[str]

    @property
    def stdout(self) -> str:
        return self.outputs[-1]

    def reported(self, key: str = "seconds") -> float:
        """Median of a figure the command printed as JSON (bench/driver.py prints `seconds`)."""
        return statistics.median(json.loads(o)[key] for o in self.outputs)

    @property
    def spread(self) -> str:
        return f"{min(self.runs):.2f}-{max(self.runs):.2f}"


def env() -> dict[str, str]:
    """The environment for measured commands: the checkout's src/ importable, no ambient store."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), environ.get("PYTHONPATH")]))
    environ.pop("PREFSTORE_DB", None)
    return environ


def prefstore(*args: str | os.PathLike) -> list[str]:
    """The real CLI, run by the same interpreter as the benchmarks."""
    return [sys.executable, "-m", "prefstore", *map(str, args)]


def python(script: str | os.PathLike, *args: str | os.PathLike) -> list[str]:
    return [sys.executable, str(script), *map(str, args)]


def show(cmd: list[str]) -> str:
    """A command as a reader would type it (the interpreter shown as `python`)."""
    words = ["python" if w == sys.executable else w for w in cmd]
    if words[:3] == ["python", "-m", "prefstore"]:
        words = ["prefstore", *words[3:]]
    return shlex.join(words).replace(str(REPO) + "/", "")


def measure(cmd: list[str], reps: int, setup=None, cwd: Path | None = None) -> Measured:
    """Median wall time and median peak RSS of `reps` runs; `setup()` runs before each (untimed)."""
    samples = []
    for _ in range(reps):
        if setup:
            setup()
        samples.append(_run(cmd, cwd))
    return Measured(
        command=show(cmd),
        seconds=statistics.median(s.seconds for s in samples),
        peak_rss_mb=statistics.median(s.peak_rss_mb for s in samples),
        runs=[s.seconds for s in samples],
        outputs=[s.stdout for s in samples],
    )


def _run(cmd: list[str], cwd: Path | None) -> Sample:
    """One run, through `python bench/measure.py --wrap`: a small process that starts the
    command and reports its wall time and its own peak RSS (os.wait4).

    Not started from this process directly: Linux hands a child started by
    fork/vfork + exec the parent's RSS high-water mark, and this process grows
    (it compares output files), which would inflate every later figure.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage.json"
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            code = subprocess.call([sys.executable, __file__, "--wrap", str(report), *cmd], cwd=cwd, env=env(),
                                   stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        text, errors = out.read_text(errors="replace"), err.read_text(errors="replace")
        if code != 0 or not report.exists():
            raise RuntimeError(f"{show(cmd)} failed ({code}):\n{text}\n{errors}")
        usage = json.loads(report.read_text())
    return Sample(usage["seconds"], usage["maxrss_kb"] / 1024, text)


def _wrap(report: str, cmd: list[str]) -> int:
    """Run `cmd` (stdio inherited), write its wall time and peak RSS to `report`; exit with its code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    Path(report).write_text(json.dumps({"seconds": seconds, "maxrss_kb": usage.ru_maxrss}))
    return code


def remove_store(path: Path) -> None:
    """Delete a store file and what DuckDB keeps beside it (WAL, spill folder)."""
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(f"{path}.tmp", ignore_errors=True)


def ingested_store(scale: str, data: Path, name: str) -> tuple[Path, Path]:
    """(input, store): the scale's input ingested by the CLI into a new store `<name>-<scale>.duckdb`."""
    src = input_file(scale, data)
    db = data / f"{name}-{scale}.duckdb"
    remove_store(db)
    measure(prefstore("--db", db, "ingest", "--quiet", src), 1)
    return src, db


def store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}.wal")) if p.exists())


def input_file(scale: str, data: Path) -> Path:
    """The benchmark input for `scale` (generated once by bench/gen_nat.py, then reused)."""
    path = data / f"{scale}.json"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run(python(BENCH / "gen_nat.py", "--scale", scale, path), check=True, env=env(),
                       stdout=subprocess.DEVNULL)
    return path


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines()
                          if l.startswith("MemTotal")).split()[1])
        mem = f"{mem_kb / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        mem = "?"
    import duckdb
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": f"{os.cpu_count()} x {cpu}",
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_at_start": f"{load:.2f}",
    }


def scale_args(doc: str) -> argparse.Namespace:
    """The command line every per-scale bench script takes: --scales, --reps, --data."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--scales", default="S", help="comma-separated presets (default S)")
    parser.add_argument("--reps", type=int, default=3, help="runs per measurement; medians are reported")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="where inputs and stores go")
    args = parser.parse_args()
    args.scales = args.scales.split(",")
    return args


def dump(obj) -> str:
    return json.dumps(obj, indent=2, default=str)


if __name__ == "__main__" and sys.argv[1:2] == ["--wrap"]:
    sys.exit(_wrap(sys.argv[2], sys.argv[3:]))
