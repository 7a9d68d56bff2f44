"""The decision: safety first, then the person's rules, then the fit with their interests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from triage import config
from triage.decide import decide, highest_amount
from triage.extract import Details
from triage.firms import Firm
from triage.profile import Profile, Rule
from triage.standing import Flag, Standing

PROFILE = config.load_settings(config.bundled_config_dir() / "triage.example.toml").profile
PLAIN = Profile(name="Dana", address="dana@example.com", roles=("CFO",), locations=("London",))
NO_FLAGS = Standing(firm=None, flags=())
CFO_LONDON = Details(position="Group CFO", location="London", compensation="£220k base")


def test_other_mail_gets_no_action() -> None:
    assert decide("other", 0.99, Details(), NO_FLAGS, PLAIN).action == "none"


def test_low_confidence_gets_no_draft() -> None:
    decision = decide("retained", 0.31, CFO_LONDON, NO_FLAGS, PLAIN)
    assert decision.action == "none" and "0.31" in decision.reasons[0]


@pytest.mark.parametrize("code", ["scam_signs", "no_reply_sender"])
def test_scams_and_unreachable_senders_get_no_draft_even_against_a_rule(code: str) -> None:
    always = replace(PLAIN, rules=(Rule("schedule", (("label", "retained"),)),))
    standing = Standing(firm=None, flags=(Flag(code, "reason"),))
    assert decide("retained", 0.99, CFO_LONDON, standing, always).action == "none"


def test_a_matching_approach_is_scheduled_with_reasons() -> None:
    decision = decide("retained", 0.9, CFO_LONDON, NO_FLAGS, PLAIN)
    assert decision.action == "schedule"
    assert any("matches your interest in CFO" in reason for reason in decision.reasons)


def test_a_role_outside_the_interests_is_declined() -> None:
    decision = decide("in_house", 0.9, Details(position="Head of Marketing"), NO_FLAGS, PLAIN)
    assert decision.action == "decline"


def test_pay_below_the_floor_is_declined() -> None:
    floor = replace(PLAIN, roles=(), minimum_compensation=200_000)
    decision = decide("retained", 0.9, Details(compensation="€120-140k + bonus"), NO_FLAGS, floor)
    assert decision.action == "decline"


def test_mixed_evidence_goes_to_review() -> None:
    decision = decide(
        "retained", 0.9, Details(position="CFO", location="Singapore"), NO_FLAGS, PLAIN
    )
    assert decision.action == "review" and not decision.drafts


def test_not_looking_declines_every_candidate_approach() -> None:
    decision = decide("retained", 0.9, CFO_LONDON, NO_FLAGS, replace(PLAIN, stance="not_looking"))
    assert decision.action == "decline"


def test_sourcing_requests_are_referred() -> None:
    assert decide("sourcing", 0.9, Details(), NO_FLAGS, PLAIN).action == "refer"


def test_rules_override_the_default() -> None:
    agency = Firm("Hays", ("hays.com",), "contingency", "https://example.org")
    standing = Standing(firm=agency, flags=())
    decision = decide("contingent", 0.9, CFO_LONDON, standing, PROFILE)
    assert decision.action == "decline" and decision.reasons[0].startswith("Your rule:")
    aesc = Firm(
        "Egon Zehnder", ("egonzehnder.com",), "retained", "https://example.org", aesc_member=True
    )
    far = Details(position="Head of Marketing", location="Sydney")
    assert decide("retained", 0.9, far, Standing(aesc, ()), PROFILE).action == "schedule"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("£220k base", 220_000),
        ("€120-140k + bonus", 140_000),
        ("$145,000–$165,000", 165_000),
        ("250.000 € fijos", 250_000),
        ("£650/day outside IR35", None),
        ("competitive", None),
    ],
)
def test_the_highest_annual_amount_is_read_from_pay_text(text: str, amount: int | None) -> None:
    assert highest_amount(text) == amount
