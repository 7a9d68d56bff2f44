"""Standing flags: each fires on the mail it describes and stays quiet otherwise."""

from __future__ import annotations

import pytest

from tests.conftest import mail_bytes
from triage import config, extract, message, standing

FIRMS = config.load_firm_directory()


def assess(body: str, label: str = "retained", **headers: str) -> standing.Standing:
    headers.setdefault("From", "Anna Berg <anna.berg@spencerstuart.com>")
    headers.setdefault("Subject", "Chief Financial Officer")
    parsed = message.parse(mail_bytes(body, **headers))
    return standing.assess(parsed, extract.extract(parsed, FIRMS, label), label, FIRMS)


def codes(result: standing.Standing) -> set[str]:
    return {flag.code for flag in result.flags}


CLEAN = (
    "We have been retained by Norvik Energy to appoint a CFO; the position description is attached."
)


def test_a_known_firm_writing_from_its_own_domain_raises_no_flag() -> None:
    result = assess(CLEAN)
    assert result.firm is not None and result.firm.name == "Spencer Stuart"
    assert codes(result) == set()


def test_an_unknown_firm_is_flagged_with_a_reason_to_research_it() -> None:
    result = assess(CLEAN, From="Jo Bloggs <jo@obscure-search.example>")
    assert "unknown_firm" in codes(result)
    assert "research" in next(f.reason for f in result.flags if f.code == "unknown_firm")


def test_a_free_mail_address_for_a_firm_with_its_own_domain() -> None:
    result = assess(
        CLEAN + "\n\nAnna Berg\nSpencer Stuart", From="Spencer Stuart <ss.search@gmail.com>"
    )
    assert "freemail_for_firm" in codes(result)


def test_a_firm_named_from_a_foreign_domain() -> None:
    result = assess(
        CLEAN + "\n\nAnna Berg\nSpencer Stuart",
        From="Spencer Stuart <anna@spencer-stuart-jobs.net>",
    )
    assert "domain_mismatch" in codes(result)


@pytest.mark.parametrize(
    "bait",
    [
        "Please pay the training fee of $250 before onboarding.",
        "Send your bank details so we can set up payroll.",
        "Add me on Telegram for the interview: @hr_manager.",
        "We will send a cheque; deposit the check and buy equipment.",
    ],
)
def test_scam_signs_are_flagged_on_any_mail(bait: str) -> None:
    result = assess(f"Congratulations! {bait}", label="other", From="HR <hr.dept@gmail.com>")
    assert result.scam


def test_a_confidential_search_without_a_description() -> None:
    result = assess("Our client, a PE-backed industrial group, seeks a CFO. Can we talk?")
    assert "confidential_no_description" in codes(result)


def test_kind_mismatch_when_a_staffing_agency_reads_like_a_retained_search() -> None:
    result = assess(CLEAN, From="Sam Lee <sam.lee@roberthalf.com>")
    assert "kind_mismatch" in codes(result)


def test_a_networking_sites_reply_address_gets_a_note_but_not_a_block() -> None:
    result = assess(
        "Priya Raman\nPartner at Holloway Vance\n\nA CFO role?",
        From="Priya via LinkedIn <inmail-hit-reply@linkedin.com>",
    )
    assert not result.unreachable and "via_network" in codes(result)


def test_a_networking_notification_cannot_be_answered_by_mail() -> None:
    result = assess(
        "Priya Raman\nPartner at Holloway Vance\n\nA CFO role?",
        From="Priya via LinkedIn <messages-noreply@linkedin.com>",
    )
    assert result.unreachable


def test_reply_to_elsewhere_is_flagged() -> None:
    result = assess(CLEAN, Reply_To="someone@elsewhere.example")
    assert "reply_to_differs" in codes(result)


def test_an_in_house_recruiter_of_an_unlisted_employer_is_not_flagged_unknown() -> None:
    result = assess(
        "I lead talent acquisition at Quarry Labs and we are hiring a VP of Engineering.",
        label="in_house",
        From="Jordan Pike <jordan@quarrylabs.com>",
    )
    assert "unknown_firm" not in codes(result)
