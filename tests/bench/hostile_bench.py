"""Hostile-mail figures: time and peak memory per message on the daemon's path. Prints only.

    .venv/bin/python tests/bench/hostile_bench.py [--corpora ../shared/corpora] [--worst 10]

Two sets, each message taken through the same path as tests/unit/test_hostile_mail.py (parse,
model text, the shipped model, `pipeline.judge` with the sample settings and a forced `sourcing`
verdict, the draft's bytes): the parser-test corpus (../shared/corpora/parser_tests) and the fixed
generated monsters of that test file. For each set, the worst messages by share of either budget
(2 s, 200 MB): seconds, peak memory (growth of the resident high-water mark after the heap is
trimmed, or tracemalloc's peak where that mark cannot be reset) and what became of the message.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from tests.conftest import SHARED_CORPORA
from tests.unit.test_hostile_mail import (
    MAX_BYTES,
    MAX_SECONDS,
    MONSTERS,
    PITCH,
    Run,
    daemon_path,
    measure,
    parser_test_files,
    sample_context,
    single,
)
from triage import classify, config, pipeline


def outcome(run: Run) -> str:
    if run.refused:
        return f"refused: {run.refused[:60]}"
    return "draft" if run.draft is not None else "no draft"


def share(run: Run) -> float:
    return max(run.seconds / MAX_SECONDS, run.peak_bytes / MAX_BYTES)


def report(
    title: str,
    messages: Iterable[tuple[str, Callable[[], bytes]]],
    context: pipeline.Context,
    worst: int,
) -> None:
    rows = []
    for name, read in messages:
        raw = read()
        rows.append((name, len(raw), measure(raw, context)))
    rows.sort(key=lambda row: share(row[2]), reverse=True)
    slowest = max(run.seconds for _, _, run in rows)
    biggest = max(run.peak_bytes for _, _, run in rows)
    print(
        f"\n== {title}: {len(rows)} messages, slowest {slowest:.2f} s, "
        f"largest peak {biggest / 2**20:.0f} MB (budget {MAX_SECONDS:.0f} s, "
        f"{MAX_BYTES // 2**20} MB)"
    )
    print(f"  {'message':52} {'size':>9} {'time':>7} {'peak':>8}  outcome")
    for name, size, run in rows[:worst]:
        print(
            f"  {name[-52:]:52} {size / 2**20:7.2f}MB {run.seconds:6.2f}s "
            f"{run.peak_bytes / 2**20:6.1f}MB  {outcome(run)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=SHARED_CORPORA)
    parser.add_argument("--worst", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    sample = config.load_settings(config.bundled_config_dir() / "triage.example.toml")
    context = sample_context(classify.load(config.bundled_model_dir()), sample)
    daemon_path(single(b"text/plain", PITCH), context, "sourcing")  # first-use imports and caches
    if (args.corpora / "parser_tests").is_dir():
        files = parser_test_files(args.corpora)
        named = [(str(p.relative_to(args.corpora)), p.read_bytes) for p in files]
        report("parser_tests corpus", named, context, args.worst)
    else:
        print(f"no parser_tests under {args.corpora}: corpus skipped")
    report("generated monsters", MONSTERS.items(), context, args.worst)


if __name__ == "__main__":
    main()
