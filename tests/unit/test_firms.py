"""The shipped firm directory and its lookups."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from triage import config
from triage.firms import KINDS, Firm, FirmDirectory, FirmDirectoryError, firm_from_entry

FIRMS_TOML = config.bundled_config_dir() / "firms.toml"


def test_every_entry_has_kind_domains_and_source() -> None:
    entries = tomllib.loads(FIRMS_TOML.read_text())["firm"]
    assert len(entries) >= 60
    for number, entry in enumerate(entries, start=1):
        firm = firm_from_entry(entry, f"entry {number}")
        assert firm.kind in KINDS
        assert firm.domains and all("." in d and " " not in d for d in firm.domains), firm.name
        assert firm.source.startswith("http"), firm.name
    names = [entry["name"].lower() for entry in entries]
    assert len(names) == len(set(names)), "a firm is listed twice"
    kinds = {entry["kind"] for entry in entries}
    assert {"retained", "contingency"} <= kinds


def test_well_known_firms_are_found_by_domain_and_name() -> None:
    firms = config.load_firm_directory()
    spencer = firms.by_domain("mail.spencerstuart.com")
    assert spencer is not None and spencer.kind == "retained"
    assert firms.named_in("I am a consultant at Egon Zehnder in Zurich") is not None
    half = firms.named_in("Robert Half")
    assert half is not None and half.kind == "contingency"


def test_names_match_whole_words_only() -> None:
    firms = FirmDirectory([Firm("Hays", ("hays.com",), "contingency", "https://example.org")])
    assert firms.named_in("the Hays team") is not None
    assert firms.named_in("Haystack Ltd") is None


def test_the_persons_own_entries_extend_and_replace(tmp_path: Path) -> None:
    own = tmp_path / "firms.toml"
    own.write_text(
        '[[firm]]\nname = "Spencer Stuart"\ndomains = ["example-ss.com"]\nkind = "retained"\n'
        'source = "https://example.org"\n\n[[firm]]\nname = "Tiny Search"\ndomains = ["tiny.example"]\n'
        'kind = "retained"\nsource = "my notes"\n'
    )
    firms = config.load_firm_directory(own)
    assert firms.by_domain("tiny.example") is not None
    replaced = firms.by_domain("example-ss.com")
    assert replaced is not None and replaced.name == "Spencer Stuart"
    assert firms.by_domain("spencerstuart.com") is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "X", "domains": ["x.com"], "kind": "retained"}, "lacks source"),
        (
            {"name": "X", "domains": ["x.com"], "kind": "headhunter", "source": "s"},
            "kind 'headhunter'",
        ),
        (
            {"name": "X", "domains": ["x.com"], "kind": "rpo", "source": "s", "colour": 1},
            "unknown keys colour",
        ),
    ],
)
def test_a_bad_entry_is_refused_with_its_reason(entry: dict[str, object], message: str) -> None:
    with pytest.raises(FirmDirectoryError, match=message):
        firm_from_entry(entry, "entry 1")


def test_a_broken_directory_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "firms.toml"
    broken.write_text("[[firm]\nname=")
    with pytest.raises(config.ConfigError, match=str(broken)):
        config.load_firm_directory(broken)


def test_firms_in_the_persons_config_directory_are_added(user_dirs: Path) -> None:
    own = config.user_config_dir() / "firms.toml"
    own.parent.mkdir(parents=True)
    own.write_text(
        '[[firm]]\nname = "Tiny Search"\ndomains = ["tiny.example"]\nkind = "retained"\nsource = "notes"\n'
    )
    firm = config.load_firm_directory().by_domain("tiny.example")
    assert firm is not None and firm.name == "Tiny Search"
