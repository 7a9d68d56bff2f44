"""Retraining on the person's own labelled mail, end to end: `triage train --from-mailbox` on label
folders of a real Dovecot (and of a Maildir), corrections the daemon notices (a changed
`Triage/<Label>` keyword, a message moved into a label folder), and the guard that refuses a
candidate scoring worse on the person's examples than the current model.

Training on the whole shipped corpus takes seconds per fold, so these tests point triage at a
sample of it (every 8th or 4th message of each label, real files) and use few folds;
tests/bench/retrain_bench.py gives the figures on the whole corpus.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import FIXTURES, MAIL_FIXTURES
from tests.integration.daemon_helpers import (
    PASSWORD_ENV,
    RECRUITER,
    imap_config,
    maildir_config,
    message_id_of,
    run_once,
    with_message_id,
)
from tests.integration.dovecot import Account
from triage import classify, config, message, pipeline, retrain
from triage.cli import cli
from triage.mailbox import Mailbox
from triage.maildir import MaildirBox, create_maildir, deliver

STYLE = sorted((FIXTURES / "retrain_style" / "contingent").glob("*.eml"))
TAUGHT, UNSEEN = STYLE[:20], STYLE[20:]
ORDINARY_MAIL = [
    MAIL_FIXTURES / name
    for name in (
        "28-other-colleague-forwards-job.eml",
        "34-other-friend-asks-referral-ptbr.eml",
        "35-other-work-thread-shipment-delay.eml",
        "37-other-personal-familia-es.eml",
        "38-other-hr-open-enrollment.eml",
    )
]
RETAINED_MAIL = sorted(MAIL_FIXTURES.glob("*-retained-*.eml"))[:10]
SMALL_STEP, LARGER_STEP = 8, 4
RETAINED_KEYWORD, CONTINGENT_KEYWORD = "Triage/Retained", "Triage/Contingent"
MAILDIR_FOLDER = "Recruiters/Contingent"  # the Maildir++ folder .Recruiters.Contingent
SHIPPED_CORPUS = config.bundled_corpus_dir()  # looked up before any test points it elsewhere


def sample_corpus(root: Path, step: int) -> Path:
    """Every `step`-th message of each label of the shipped corpus, copied under `root`."""
    for label in classify.LABELS:
        (root / label).mkdir()
        for path in sorted((SHIPPED_CORPUS / label).glob("*.eml"))[::step]:
            shutil.copy(path, root / label / path.name)
    return root


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 150 messages: enough for the candidate to learn the person's examples."""
    return sample_corpus(tmp_path_factory.mktemp("small-corpus"), SMALL_STEP)


@pytest.fixture(scope="session")
def larger_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 290 messages: enough for --check-bundled's cross-validation to mean something."""
    return sample_corpus(tmp_path_factory.mktemp("larger-corpus"), LARGER_STEP)


@pytest.fixture(autouse=True)
def small_bundled(small_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`triage train` (run in this process) learns from the sample instead of the whole corpus;
    the current model it is compared with is still the shipped one."""
    monkeypatch.setattr(config, "bundled_corpus_dir", lambda: small_corpus)


@pytest.fixture
def account(imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Account:
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    return imap_account


def triage(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def with_train_folders(config_path: Path, **folders: str) -> Path:
    lines = ["[train.folders]", *(f'{label} = "{folder}"' for label, folder in folders.items())]
    config_path.write_text(config_path.read_text() + "\n".join(lines) + "\n")
    return config_path


def label_folder(account: Account, *parts: str) -> str:
    """Create a folder under its name on this server (Dovecot's Maildir++ delimiter is '.')."""
    with account.client() as imap:
        delimiter = imap.list_folders(pattern="INBOX")[0][1].decode()
        name = delimiter.join(parts)
        imap.create_folder(name)
    return name


def model_dir() -> Path:
    return config.user_data_dir() / "model"


def contingent_count(model: classify.Model, paths: list[Path]) -> int:
    texts = [message.model_text(message.parse(path.read_bytes())) for path in paths]
    return sum(prediction.label == "contingent" for prediction in model.predict(texts))


def example_files(source: str, label: str) -> list[Path]:
    return sorted((config.user_examples_dir() / source / label).glob("*.eml"))


def corrections_of(config_path: Path) -> list[dict[str, str]]:
    result = triage("corrections", "--json", "--config", config_path)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def unix(raw: bytes) -> bytes:
    """The bytes with CRLF line ends as LF: Dovecot stores and serves mail with CRLF."""
    return raw.replace(b"\r\n", b"\n")


def drafted_once(config_path: Path) -> None:
    code, out, err = run_once(config_path)
    assert code == 0, err
    assert json.loads(out)["drafted"] == 1


# --- IMAP ----------------------------------------------------------------------------------------


def test_train_from_the_label_folders_installs_a_model_that_learnt_them(
    account: Account, tmp_path: Path, larger_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "bundled_corpus_dir", lambda: larger_corpus)
    contingent = label_folder(account, "Recruiters", "Contingent")
    other = label_folder(account, "Not recruiters")
    account.bulk_append([path.read_bytes() for path in TAUGHT[1:]], contingent)
    account.append(TAUGHT[0].read_bytes(), contingent, flags=[b"\\Flagged"])
    account.bulk_append([path.read_bytes() for path in ORDINARY_MAIL], other)
    flags_before = {folder: account.messages(folder) for folder in (contingent, other)}
    config_path = with_train_folders(
        imap_config(tmp_path, account), contingent=contingent, other=other
    )
    result = triage(
        "train", "--from-mailbox", "--check-bundled", "--folds", "2", "--json",
        "--config", config_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["installed"] == str(model_dir() / classify.MODEL_FILE)
    assert report["sources"]["mailbox"] == 25
    assert report["sources"]["correction"] == report["sources"]["file"] == 0
    without, with_own = report["bundled_cross_validation"]
    assert with_own >= without - retrain.ALLOWED_DROP
    card = json.loads((model_dir() / classify.CARD_FILE).read_text())
    assert card["extra"]["sources"] == report["sources"]
    assert card["extra"]["evaluation_on_own_examples"]["passed"] is True
    assert contingent_count(classify.load(model_dir()), UNSEEN) >= 18
    assert contingent_count(classify.load(config.bundled_model_dir()), UNSEEN) < 18
    assert {folder: account.messages(folder) for folder in flags_before} == flags_before
    kept = example_files("mailbox", "contingent")
    assert len(kept) == 20 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)


def test_a_changed_keyword_is_a_correction_the_next_train_learns_from(
    account: Account, tmp_path: Path
) -> None:
    uid = account.append(RECRUITER[0].read_bytes())
    contingent = label_folder(account, "Recruiters", "Contingent")
    config_path = with_train_folders(imap_config(tmp_path, account), contingent=contingent)
    drafted_once(config_path)
    with account.client() as imap:
        imap.select_folder("INBOX")
        imap.remove_flags([uid], [RETAINED_KEYWORD.encode()])
        imap.add_flags([uid], [CONTINGENT_KEYWORD.encode()])
    assert run_once(config_path)[0] == 0
    (found,) = corrections_of(config_path)
    assert (found["given"], found["corrected"], found["source"]) == (
        "retained", "contingent", "keyword",
    )  # fmt: skip
    assert found["message_id"] == message_id_of(RECRUITER[0])
    assert found["model_now"] == "retained"
    assert unix(Path(found["example"]).read_bytes()) == unix(RECRUITER[0].read_bytes())
    assert run_once(config_path)[0] == 0
    assert len(corrections_of(config_path)) == 1
    for path in TAUGHT[:4]:
        assert triage("label", path, "contingent").exit_code == 0
    result = triage("train", "--dry-run", "--folds", "2", "--json", "--config", config_path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sources"]["correction"] == 1 and report["sources"]["file"] == 4
    assert report["installed"] == "" and report["reason"].startswith("dry run")
    assert not model_dir().exists()
    (flags,) = [flags for uid_, flags, _ in account.messages() if uid_ == uid]
    assert flags == {CONTINGENT_KEYWORD.encode()}


def test_a_labelled_message_moved_into_a_label_folder_is_a_correction(
    account: Account, tmp_path: Path
) -> None:
    uid = account.append(RECRUITER[0].read_bytes())
    contingent = label_folder(account, "Recruiters", "Contingent")
    config_path = with_train_folders(imap_config(tmp_path, account), contingent=contingent)
    drafted_once(config_path)
    with account.client() as imap:
        imap.select_folder("INBOX")
        imap.move([uid], contingent)
    assert run_once(config_path)[0] == 0
    (found,) = corrections_of(config_path)
    assert (found["given"], found["corrected"]) == ("retained", "contingent")
    assert found["source"] == f"folder {contingent}"
    assert [unix(path.read_bytes()) for path in example_files("correction", "contingent")] == [
        unix(RECRUITER[0].read_bytes())
    ]
    ((_, flags, _),) = account.messages(contingent)
    assert flags == {RETAINED_KEYWORD.encode()}


def test_a_label_folder_written_with_slashes_is_found_whatever_the_server_delimiter(
    account: Account, tmp_path: Path
) -> None:
    contingent = label_folder(account, "Recruiters", "Contingent")
    account.bulk_append([path.read_bytes() for path in TAUGHT], contingent)
    config_path = with_train_folders(
        imap_config(tmp_path, account), contingent="Recruiters/Contingent"
    )
    result = triage("train", "--from-mailbox", "--dry-run", "--folds", "2", "--json",
                    "--config", config_path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sources"]["mailbox"] == 20


def test_a_missing_label_folder_is_named_and_its_examples_kept(
    account: Account, tmp_path: Path
) -> None:
    contingent = label_folder(account, "Recruiters", "Contingent")
    account.bulk_append([path.read_bytes() for path in TAUGHT[:5]], contingent)
    config_path = with_train_folders(imap_config(tmp_path, account), contingent=contingent)
    box = _open_imap(config_path)
    try:
        retrain.collect_from_mailbox(box, {"contingent": contingent}, config.user_examples_dir())
    finally:
        box.close()
    assert len(example_files("mailbox", "contingent")) == 5
    renamed = with_train_folders(imap_config(tmp_path, account), contingent=contingent + "-old")
    result = triage("train", "--from-mailbox", "--dry-run", "--folds", "2", "--config", renamed)
    assert contingent + "-old" in result.output
    assert len(example_files("mailbox", "contingent")) == 5


def _open_imap(config_path: Path) -> Mailbox:
    return pipeline.mailbox_opener(config.load_settings(config_path))()


# --- Your own files, no mailbox needed --------------------------------------------------------


class WithoutDovecot:
    @pytest.fixture
    def dovecot_binary(self) -> str:
        """Replaces the autouse fixture that skips this package's tests without Dovecot."""
        return ""


class TestOwnFiles(WithoutDovecot):
    def test_a_candidate_worse_on_your_examples_is_refused_unless_forced(
        self, tmp_path: Path
    ) -> None:
        """Each retained mail is given twice: as `retained`, and under a fresh Message-ID as
        `other`. The current model is right on one of each pair; a candidate trained on the
        other folds has learnt the twin's label and so is wrong on both."""
        for number, path in enumerate(RETAINED_MAIL):
            twin = tmp_path / f"twin-{number}.eml"
            twin.write_bytes(with_message_id(path.read_bytes(), f"<twin-{number}@example.org>"))
            assert triage("label", path, "retained").exit_code == 0
            assert triage("label", twin, "other").exit_code == 0
        refused = triage("train", "--folds", "3", "--json")
        assert refused.exit_code == 1, refused.output
        report = json.loads(refused.stdout)
        assert report["reason"].startswith("not installed") and report["installed"] == ""
        comparison = report["comparison"]
        assert comparison["candidate_macro_f1"] < comparison["current_macro_f1"] - 0.01
        assert not model_dir().exists()
        forced = triage("train", "--folds", "3", "--json", "--force")
        assert forced.exit_code == 0, forced.output
        assert json.loads(forced.stdout)["installed"] == str(model_dir() / classify.MODEL_FILE)
        card = json.loads((model_dir() / classify.CARD_FILE).read_text())
        assert card["extra"]["evaluation_on_own_examples"]["passed"] is False

    def test_a_label_with_three_of_your_examples_is_refused_by_name(self) -> None:
        for path in TAUGHT[:5]:
            assert triage("label", path, "contingent").exit_code == 0
        for path in sorted(MAIL_FIXTURES.glob("*-sourcing-*.eml"))[:3]:
            assert triage("label", path, "sourcing").exit_code == 0
        result = triage("train", "--folds", "2")
        assert result.exit_code == 1
        assert "sourcing (3)" in result.output and "contingent" not in result.output
        assert not model_dir().exists()


# --- Maildir -------------------------------------------------------------------------------------


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    create_maildir(root)
    create_maildir(root / ".Recruiters.Contingent")
    return root


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def only_file(folder: Path) -> Path:
    (path,) = [path for sub in ("new", "cur") for path in (folder / sub).iterdir()]
    return path


class TestMaildir(WithoutDovecot):
    def test_train_from_a_maildir_label_folder_reads_it_and_mirrors_it(
        self, inbox: Path, tmp_path: Path
    ) -> None:
        folder = inbox / ".Recruiters.Contingent"
        refs = [deliver(folder, path.read_bytes()) for path in TAUGHT]
        (folder / "new" / refs[0]).rename(folder / "cur" / f"{refs[0]}:2,F")
        before = files_of(folder)
        config_path = with_train_folders(maildir_config(tmp_path, inbox), contingent=MAILDIR_FOLDER)
        result = triage("train", "--from-mailbox", "--dry-run", "--folds", "2", "--json",
                        "--config", config_path)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["sources"]["mailbox"] == 20
        assert files_of(folder) == before
        assert not model_dir().exists()
        for ref in refs[:5]:
            next(folder.glob(f"*/{ref}*")).unlink()
        counts = retrain.collect_from_mailbox(
            MaildirBox(inbox), {"contingent": MAILDIR_FOLDER}, config.user_examples_dir()
        )
        assert counts == {"contingent": 15}
        kept = {path.read_bytes() for path in example_files("mailbox", "contingent")}
        assert kept == {path.read_bytes() for path in TAUGHT[5:]}

    def test_a_changed_keyword_letter_is_a_correction(self, inbox: Path, tmp_path: Path) -> None:
        ref = deliver(inbox, RECRUITER[0].read_bytes())
        config_path = with_train_folders(maildir_config(tmp_path, inbox), contingent=MAILDIR_FOLDER)
        drafted_once(config_path)
        assert (inbox / "dovecot-keywords").read_text() == f"0 {RETAINED_KEYWORD}\n"
        with (inbox / "dovecot-keywords").open("a") as keywords:  # as Dovecot would
            keywords.write(f"1 {CONTINGENT_KEYWORD}\n")
        (inbox / "cur" / f"{ref}:2,a").rename(inbox / "cur" / f"{ref}:2,b")
        assert run_once(config_path)[0] == 0
        (found,) = corrections_of(config_path)
        assert (found["given"], found["corrected"], found["source"]) == (
            "retained", "contingent", "keyword",
        )  # fmt: skip
        assert only_file(inbox) == inbox / "cur" / f"{ref}:2,b"

    def test_a_labelled_message_moved_into_a_label_folder_is_a_correction(
        self, inbox: Path, tmp_path: Path
    ) -> None:
        ref = deliver(inbox, RECRUITER[0].read_bytes())
        config_path = with_train_folders(maildir_config(tmp_path, inbox), contingent=MAILDIR_FOLDER)
        drafted_once(config_path)
        folder = inbox / ".Recruiters.Contingent"
        (inbox / "cur" / f"{ref}:2,a").rename(folder / "cur" / f"{ref}:2,a")
        assert run_once(config_path)[0] == 0
        (found,) = corrections_of(config_path)
        assert (found["given"], found["corrected"]) == ("retained", "contingent")
        assert found["source"] == f"folder {MAILDIR_FOLDER}"
        assert only_file(folder).read_bytes() == RECRUITER[0].read_bytes()
