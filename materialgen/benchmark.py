"""Measure the generator: wall time and peak memory of a full build, of one language and of
one card, and the share of the print check and of copyfitting.

    .venv/bin/python -m materialgen.benchmark [--jobs N] [--repeat N]

Builds into a temporary folder, so output/ is left alone. Speed is measured here, never in
the tests (a loaded CI machine would make timed tests flaky).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

from . import PROJECT_ROOT

CASES = {
    "full build (17 languages x 4 materials)": [],
    "one language (so), all materials": ["--lang", "so"],
    "one card (my)": ["--lang", "my", "--material", "wallet-card", "--jobs", "1"],
}


# Runs generate.py as its child and reports the largest resident set of that child and its
# workers: RUSAGE_CHILDREN of a fresh process covers exactly one case.
WRAPPER = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(result.stdout + result.stderr)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"@@peak {peak} {result.returncode}")
"""


def measure(args: list[str], output: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (largest single process), and the summary line."""
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WRAPPER,
            sys.executable,
            str(PROJECT_ROOT / "generate.py"),
            "--output",
            output,
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    lines = result.stdout.strip().splitlines()
    _, peak, code = lines[-1].split()
    if code != "0":
        sys.exit(f"build failed:\n{result.stdout}{result.stderr}")
    return wall, int(peak) / 1024, lines[-2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median reported)")
    parser.add_argument("--no-previews", action="store_true", help="build without PNG previews")
    args = parser.parse_args(argv)
    extra = ["--no-previews"] if args.no_previews else []
    for name, case in CASES.items():
        walls, peaks, summary = [], [], ""
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as output:
                wall, peak, summary = measure([*case, *extra], output)
            walls.append(wall)
            peaks.append(peak)
        print(f"{name}: {statistics.median(walls):.1f} s wall, peak RSS {max(peaks):.0f} MB")
        print(f"    {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
