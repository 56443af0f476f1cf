"""Shared benchmark helpers: run one command in a fresh process, time it, take its peak RSS.

Every measured operation runs in its own subprocess (the real `prefstore`
CLI, the baseline script, or `bench/driver.py` for library calls), so peak
memory is that operation's alone: `os.wait4` returns the child's own
rusage (ru_maxrss), which is what `/usr/bin/time -v` reports as "Maximum
resident set size".
"""

from __future__ import annotations

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
    """One run; os.wait4 gives this child's own rusage (the peak RSS of exactly this command)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{show(cmd)} failed ({proc.returncode}):\n{stdout}\n{stderr}")
    return Sample(seconds, usage.ru_maxrss / 1024, stdout)


def remove_store(path: Path) -> None:
    """Delete a store file and what DuckDB keeps beside it (WAL, spill folder)."""
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(f"{path}.tmp", ignore_errors=True)


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


def dump(obj) -> str:
    return json.dumps(obj, indent=2, default=str)
