"""The config file: found in the documented order, checked, and every error names file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage import config

EXAMPLE = config.bundled_config_dir() / "triage.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


MINIMAL = '[profile]\nname = "Ana Ruiz"\naddress = "ana@example.com"\n'


def test_the_example_config_is_complete_and_valid() -> None:
    settings = config.load_settings(EXAMPLE)
    assert settings.profile.name and settings.profile.windows and settings.profile.contacts
    assert settings.profile.rules


def test_without_a_config_the_bundled_sample_is_used_and_said_to_be() -> None:
    path, is_sample = config.find_config(None)
    assert is_sample and path.name == "triage.example.toml"


def test_the_environment_variable_beats_the_xdg_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = write(tmp_path, MINIMAL)
    monkeypatch.setenv("TRIAGE_CONFIG", str(mine))
    assert config.find_config(None) == (mine, False)
    assert config.find_config(EXAMPLE) == (EXAMPLE, False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "[imapp]\nhost = 'x'\n", "unknown section imapp"),
        (MINIMAL + "nickname = 'x'\n", "unknown key 'nickname'"),
        ('[profile]\nname = "Ana"\n', "needs address"),
        (MINIMAL + 'timezone = "Mars/Olympus"\n', "not a known time zone"),
        (MINIMAL + 'availability = ["Someday 9-10"]\n', "Tue 09:00-11:00"),
        (MINIMAL + 'stance = "maybe"\n', "stance 'maybe'"),
        (MINIMAL + '[[rules]]\nlabel = "retained"\naction = "ignore"\n', "needs an action"),
        (MINIMAL + '[[rules]]\ncolour = "red"\naction = "decline"\n', "colour"),
        (MINIMAL + '[reply]\ntemplate = "x"\n', "unknown key template"),
        ("[profile\n", "not valid TOML"),
    ],
)
def test_a_mistake_is_reported_with_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(config.ConfigError) as raised:
        config.load_settings(path)
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_a_template_with_an_unknown_placeholder_fails_at_load(tmp_path: Path) -> None:
    own = tmp_path / "templates"
    own.mkdir()
    (own / "decline.en.txt").write_text("{{greeting}}\n{{salary_expectation}}\n")
    path = write(tmp_path, MINIMAL + '[reply]\ntemplates = "templates"\n')
    with pytest.raises(config.ConfigError, match="salary_expectation"):
        config.load_settings(path)


def test_the_persons_template_replaces_the_shipped_one(tmp_path: Path) -> None:
    own = tmp_path / "templates"
    own.mkdir()
    (own / "decline.en.txt").write_text("{{greeting}}\nNo, thank you.\n{{signature}}\n")
    settings = config.load_settings(write(tmp_path, MINIMAL + '[reply]\ntemplates = "templates"\n'))
    assert "No, thank you." in settings.templates.text("decline", "en")
    assert "{{times}}" in settings.templates.text("schedule", "en")


def test_a_resume_is_read_for_attaching(tmp_path: Path) -> None:
    (tmp_path / "cv.pdf").write_bytes(b"%PDF-1.4 cv")
    settings = config.load_settings(
        write(tmp_path, MINIMAL.replace("[profile]\n", '[profile]\nresume = "cv.pdf"\n'))
    )
    assert settings.resume is not None and settings.resume.data == b"%PDF-1.4 cv"
    with pytest.raises(config.ConfigError, match="resume"):
        config.load_settings(
            write(tmp_path, MINIMAL.replace("[profile]\n", '[profile]\nresume = "nope.pdf"\n'))
        )
