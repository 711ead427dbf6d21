"""Recommendations per second of the help matcher, and how long one takes (DESIGN §8: under 10 ms).

Usage: python bench/help_match.py [--rounds N]
Builds the matcher over every shipped article (the cost of the first request, reported apart), then
asks it every problem of tests/help/queries.tsv, N rounds, each with a new word appended. The first
round meets every word for the first time (typo and compound look-ups, stemming); later rounds find
most words in the cache, as a server does. Last line: key=value figures."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from settle.help.matcher import matcher  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    lines = (ROOT / "tests/help/queries.tsv").read_text(encoding="utf-8").splitlines()
    problems = [line.split("\t")[0] for line in lines if line.strip() and not line.startswith("#")]

    started = time.perf_counter()
    help_matcher = matcher()
    build_ms = (time.perf_counter() - started) * 1000

    timings = []
    for round_number in range(args.rounds):
        for problem in problems:
            text = f"{problem} r{round_number}"
            started = time.perf_counter()
            help_matcher.recommend(text)
            timings.append(time.perf_counter() - started)
    cold_max = max(timings[: len(problems)]) * 1000
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000
    print(f"{len(problems)} problems x {args.rounds} rounds; articles loaded and indexed in {build_ms:.0f} ms")
    figures = f"p50_ms={p50:.3f} p99_ms={p99:.3f} cold_max_ms={cold_max:.3f} build_ms={build_ms:.0f}"
    print(f"queries_per_s={len(timings) / sum(timings):.0f} {figures}")


if __name__ == "__main__":
    main()
