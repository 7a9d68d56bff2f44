"""Daemon figures against a real Dovecot started here. Prints; asserts nothing; not run by pytest.

    .venv/bin/python tests/bench/daemon_bench.py [--messages 10000] [--delays 30]

Prints, all measured in the same run on the same messages:
- the backfill of N messages by `triage run --once` (messages/s, peak RSS of that process),
- FETCH alone of the same messages with BODY.PEEK[] in batches of 500 (messages/s),
- the offline rate of the same build over the same messages as local .eml files
  (parse + classify + details + standing, as `triage classify` does; messages/s, peak RSS),
- the delay from the APPEND of a recruiter mail to its draft being visible in Drafts, median and
  95th percentile over `--delays` messages, with IDLE and with polling every second.
Messages: SpamAssassin and Enron ordinary mail from ../shared/corpora plus the recruiter test
fixtures, cycled with fresh Message-IDs up to N (about 4% recruiter mail).
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.conftest import FIXTURES, MAIL_FIXTURES, SHARED_CORPORA  # noqa: E402
from tests.integration.daemon_helpers import (  # noqa: E402
    PASSWORD_ENV,
    RECRUITER,
    imap_config,
    with_message_id,
)
from tests.integration.dovecot import Account, Dovecot  # noqa: E402

ORDINARY = ("spamassassin/easy_ham", "spamassassin/hard_ham", "enron_recruiter/ordinary")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sources() -> list[bytes]:
    ordinary = [
        path.read_bytes()
        for folder in ORDINARY
        if (SHARED_CORPORA / folder).is_dir()
        for path in sorted((SHARED_CORPORA / folder).iterdir())
        if path.is_file() and path.suffix not in {".md", ".tsv", ".jsonl"}
    ]
    recruiter = [
        path.read_bytes()
        for folder in (MAIL_FIXTURES, *sorted((FIXTURES / "holdout").iterdir()))
        if folder.name != "other"
        for path in sorted(folder.glob("*.eml"))
        if "-other-" not in path.name
    ]
    if not ordinary:
        print("(../shared/corpora not found: using only the fixtures)")
    return ordinary + recruiter


def build_messages(count: int) -> list[bytes]:
    pool = sources()
    return [
        with_message_id(pool[n % len(pool)], f"<bench-{n}@bench.example>") for n in range(count)
    ]


def fetch_alone(account: Account) -> float:
    client = account.client()
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search("ALL"))
    started = time.perf_counter()
    for start in range(0, len(uids), 500):
        client.fetch(uids[start : start + 500], ["BODY.PEEK[]"])
    elapsed = time.perf_counter() - started
    client.logout()
    return len(uids) / elapsed


def child(mode: str, target: str) -> None:
    """Run in a fresh process, so peak RSS is this job's alone; prints one JSON line."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
    from triage import classify, config, pipeline, watch

    if mode == "offline":
        context = pipeline.Context(
            classify.load(config.active_model_dir()), config.load_firm_directory()
        )
        started = time.perf_counter()
        count = sum(1 for _ in pipeline.classify_files([Path(target)], context))
    else:
        settings = config.load_settings(Path(target))
        from triage.store import Store

        def load_context() -> pipeline.Context:
            return pipeline.Context(
                classify.load(config.active_model_dir()), config.load_firm_directory(), settings
            )

        with Store.open(settings.state_path) as state:
            watcher = watch.Watcher(
                pipeline.mailbox_opener(settings), state, load_context, settings.run,
                watch.Options(once=True),
            )  # fmt: skip
            started = time.perf_counter()
            count = watcher.run().seen
    elapsed = time.perf_counter() - started
    print(json.dumps({"rate": count / elapsed, "count": count, "rss": peak_rss_mb()}))


def run_child(mode: str, target: Path, env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, f"--{mode}", str(target)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def backfill_and_offline(server: Dovecot, messages: list[bytes], work: Path) -> None:
    folder = work / "offline"
    folder.mkdir()
    for n, raw in enumerate(messages):
        (folder / f"{n:05}.eml").write_bytes(raw)
    account = server.add_user()
    started = time.perf_counter()
    account.bulk_append(messages)
    print(f"loaded {len(messages)} messages into Dovecot in {time.perf_counter() - started:.1f} s")
    env = {**os.environ, PASSWORD_ENV: account.password, "PYTHONPATH": str(Path.cwd())}
    fetch_rates, offline, backfill = [], [], []
    for round_ in range(2):
        fetch_rates.append(fetch_alone(account))
        offline.append(run_child("offline", folder, env))
        state = work / f"round{round_}"
        state.mkdir()
        backfill.append(run_child("backfill", imap_config(state, account), env))
    best_offline = max(offline, key=lambda r: r["rate"])
    best_backfill = max(backfill, key=lambda r: r["rate"])
    print(f"\n== backfill of {len(messages)} messages (best of 2 interleaved rounds)")
    print(f"FETCH alone, BODY.PEEK[] x500:       {max(fetch_rates):>8.0f} msg/s")
    print(
        f"offline, same build, local files:     {best_offline['rate']:>8.0f} msg/s"
        f"   peak RSS {best_offline['rss']:.0f} MB"
    )
    print(
        f"triage run --once (backfill):         {best_backfill['rate']:>8.0f} msg/s"
        f"   peak RSS {best_backfill['rss']:.0f} MB   ({best_backfill['count']:.0f} seen)"
    )
    print(f"backfill / offline: {best_backfill['rate'] / best_offline['rate']:.0%}")


def draft_delays(server: Dovecot, work: Path, count: int, idle: bool) -> list[float]:
    account = server.add_user()
    config_path = imap_config(work, account)
    if not idle:
        text = config_path.read_text().replace("[run]", "[run]\nidle = false")
        config_path.write_text(text)
    env = {**os.environ, PASSWORD_ENV: account.password, "PYTHONPATH": str(Path.cwd())}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "triage", "run", "--config", str(config_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert daemon.stderr is not None
    while "Watching" not in daemon.stderr.readline():
        pass
    time.sleep(1.0)
    watcher = account.client()
    watcher.select_folder("Drafts", readonly=True)
    delays = []
    raw = RECRUITER[0].read_bytes()
    for n in range(count):
        message_id = f"<delay-{idle}-{n}@bench.example>"
        account.append(with_message_id(raw, message_id))
        appended = time.perf_counter()
        while not watcher.search(["HEADER", "X-Triage-Original-Message-ID", message_id]):
            time.sleep(0.01)
            if time.perf_counter() - appended > 30:
                raise RuntimeError("no draft within 30 s")
        delays.append(time.perf_counter() - appended)
        time.sleep(0.2)
    daemon.terminate()
    daemon.wait(15)
    return delays


def print_delays(name: str, delays: list[float]) -> None:
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"APPEND -> draft visible, {name:<16} median {statistics.median(delays):.3f} s   "
        f"p95 {p95:.3f} s   max {ordered[-1]:.3f} s   (n={len(delays)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--delays", type=int, default=30)
    parser.add_argument("--offline", help=argparse.SUPPRESS)
    parser.add_argument("--backfill", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.offline or args.backfill:
        child("offline" if args.offline else "backfill", args.offline or args.backfill)
        return
    server = Dovecot()
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as tmp:
        try:
            server.start()
            work = Path(tmp)
            backfill_and_offline(server, build_messages(args.messages), work)
            print()
            for idle in (True, False):
                folder = work / f"delay-{idle}"
                folder.mkdir()
                name = "with IDLE" if idle else "polling every 1s"
                print_delays(name, draft_delays(server, folder, args.delays, idle))
        finally:
            server.close()


if __name__ == "__main__":
    main()
