"""The wheel carries the shipped model and sample mail, so an installed triage works anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(out),
            str(CHECKOUT),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("triage-*.whl"))


def test_the_wheel_holds_model_card_corpus_and_sample(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "triage/bundled/models/model.skops" in names
    assert "triage/bundled/models/model-card.json" in names
    assert any(n.startswith("triage/bundled/models/corpus/retained/") for n in names)
    assert sum(n.startswith("triage/sample/") and n.endswith(".eml") for n in names) >= 12


def test_the_installed_wheel_runs_the_demo_outside_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    completed = subprocess.run(
        [sys.executable, "-m", "triage", "demo"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"},
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert str(site / "triage" / "sample") in completed.stdout
    rows = [line for line in completed.stdout.splitlines() if line.endswith(".eml")]
    assert len(rows) == 12
    assert "drafts written to Drafts for 12 messages" in completed.stdout
