"""Property: whatever a stranger puts in a name or a subject, the draft has exactly its own headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import MAIL_FIXTURES
from triage import classify, config, extract, message, pipeline, reply, standing
from triage.decide import Decision

FIRMS = config.load_firm_directory()
SETTINGS = config.load_settings(config.bundled_config_dir() / "triage.example.toml")
NOW = datetime(2026, 1, 5, tzinfo=UTC)
HOSTILE = st.lists(
    st.sampled_from(
        [*"abcXYZ <>@:;,\"'()=?\r\n\t\x00\x0b\u2028é€", "\r\nBcc: x@y.z", "\nTo: a@b.c"]
    ),
    max_size=120,
).map("".join)
DRAFT_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    reply.ORIGINAL_HEADER,
    "X-Triage-Action",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
}


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=HOSTILE, subject=HOSTILE, body=HOSTILE)
def test_a_draft_never_gains_a_header_from_mail_content(name: str, subject: str, body: str) -> None:
    raw = (
        f"From: {encoded(name)} <eve@search.example>\r\nSubject: {encoded(subject)}\r\n"
        "Message-ID: <hostile@search.example>\r\nTo: dana@example.com\r\n\r\n"
        f"We have been retained to appoint a CFO. {body}\r\n"
    ).encode()
    mail = message.parse(raw)
    details = extract.extract(mail, FIRMS, "retained")
    judged = standing.assess(mail, details, "retained", FIRMS)
    decision = Decision("schedule", ("property test",))
    draft = reply.compose(
        mail, details, judged, decision, SETTINGS.profile, SETTINGS.templates, NOW
    )
    assert draft is not None
    reread = message.email.message_from_bytes(draft.as_bytes())
    assert set(reread.keys()) == DRAFT_HEADERS
    assert reread["In-Reply-To"] == "<hostile@search.example>"
    assert "\n" not in str(draft["Subject"]) and "\r" not in str(draft["Subject"])


def test_one_message_that_fails_to_draft_does_not_stop_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fault inside judging one message becomes an error line; the next message is judged."""
    real = reply.compose
    calls = []

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(reply, "compose", fails_once)
    paths = sorted(MAIL_FIXTURES.glob("0[1-3]-*.eml"))
    context = pipeline.Context(classify.load(config.bundled_model_dir()), FIRMS, SETTINGS, NOW)
    results = list(pipeline.classify_files(paths, context))
    assert len(results) == 3
    assert results[0].error.startswith("could not triage: boom")
    assert all(not r.error for r in results[1:])
