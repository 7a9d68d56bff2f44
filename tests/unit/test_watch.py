"""Pure parts of the run loop: reconnect delays and message identity."""

from __future__ import annotations

import random

from triage import message, watch


def test_reconnect_delays_grow_are_capped_and_jittered() -> None:
    random.seed(7)
    next_delay = watch.backoff_delays(first=1.0, cap=30.0)
    delays = [next_delay() for _ in range(10)]
    assert 0.5 <= delays[0] <= 1.0
    assert all(0.5 * min(30.0, 2.0**n) <= d <= min(30.0, 2.0**n) for n, d in enumerate(delays))
    assert max(delays) <= 30.0 and delays[-1] >= 15.0
    assert len(set(delays)) == len(delays), "jitter makes every delay different"


def test_a_message_is_known_by_its_message_id_else_by_its_bytes() -> None:
    with_id = b"Message-ID: <a@b.example>\nSubject: x\n\nbody\n"
    without = b"Subject: x\n\nbody\n"
    assert watch.message_key(message.parse(with_id), with_id) == "<a@b.example>"
    key = watch.message_key(message.parse(without), without)
    assert key.startswith("sha256:") and key == watch.message_key(message.parse(without), without)
    assert key != watch.message_key(message.parse(without + b"more"), without + b"more")
