"""Start-up time of the CLI: ``conformance --help`` and ``conformance profiles list``.

Prints, for each command, the median wall-clock and CPU (user+sys) time of N runs in fresh
processes, the bare interpreter's time for comparison, and which heavy libraries the command
imported. Usage: ``python benchmarks/bench_startup.py [N]`` (default 15).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "conformance --help": [sys.executable, "-m", "conformance.cli", "--help"],
    "conformance profiles list": [sys.executable, "-m", "conformance.cli", "profiles", "list"],
}
HEAVY = ("pydantic", "pandas", "numpy", "sklearn", "scipy", "conformance.checks")
PROBE = (
    "import sys, io, contextlib\n"
    "from conformance.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try: main(sys.argv[1:])\n"
    "    except SystemExit: pass\n"
    "print(' '.join(m for m in {heavy!r} if m in sys.modules) or 'none')\n"
)


def timed(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, "COLUMNS": "100"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(runs: int) -> None:
    print(f"{'command':<28} {'wall median':>12} {'cpu median':>11}  heavy imports")
    for name, command in COMMANDS.items():
        timed(command)  # warm the file cache
        samples = [timed(command) for _ in range(runs)]
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        heavy = "-"
        if name.startswith("conformance"):
            args = name.split()[1:]
            probe = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
                                   capture_output=True, text=True, check=True)
            heavy = probe.stdout.strip().splitlines()[-1]
        print(f"{name:<28} {wall:>11.3f}s {cpu:>10.3f}s  {heavy}")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (wall times grow with it)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
