"""Run every benchmark in turn and print their tables (`make bench`).

    .venv/bin/python bench/run_all.py           # the full runs behind bench/README.md (15–25 min)
    .venv/bin/python bench/run_all.py --quick   # a smoke run of each (~3 min)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, arguments for the full run, arguments for --quick)
BENCHES = [
    ("bench_build.py", [], ["--quick"]),
    ("bench_search.py", [], ["--quick"]),
    ("bench_lookups.py", [], ["--no-plain"]),
    ("bench_grading.py", [], ["--quick"]),
    ("bench_quality.py", [], []),
    ("bench_rubric.py", [], ["--quick"]),
    ("bench_speech.py", [], ["--quick"]),
    ("bench_load.py", [], ["--quick"]),
    ("bench_soak.py", [], ["--quick"]),
    ("bench_practice.py", [], ["--quick"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="run each benchmark in its quick mode")
    parser.add_argument("only", nargs="*", help="run only these scripts (e.g. bench_search.py)")
    args = parser.parse_args()
    failed = 0
    for script, full, quick in BENCHES:
        if args.only and script not in args.only:
            continue
        if not (HERE / script).exists():
            continue
        cmd = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n## {script} {' '.join(cmd[2:])}\n", flush=True)
        started = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"\n({script}: exit {rc}, {time.perf_counter() - started:.0f} s)", flush=True)
        failed += rc != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
