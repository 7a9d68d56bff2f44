"""What the CLI shows, as text lines and JSON-ready dicts: pure formatting, no printing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from triage import classify
from triage.config import Settings
from triage.pipeline import Classified, TrainingReport
from triage.retrain import Comparison, Retrained
from triage.store import Correction, Row

TABLE_HEADER = (
    f"{'LABEL':<11} {'CONF':>4}  {'ACTION':<8} {'FIRM':<20} {'POSITION':<24} {'COMPANY':<16} "
    f"{'FLAGS':<22}"
)


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def verdict_row(
    label: str,
    confidence: float,
    action: str,
    details: dict[str, Any],
    firm_fallback: str,
    flags: list[str],
) -> str:
    firm = details.get("firm") or firm_fallback
    company = details.get("hiring_company") or (
        "confidential" if details.get("confidential") else ""
    )
    return (
        f"{label:<11} {confidence:>4.2f}  {action:<8} {cut(firm, 20):<20} "
        f"{cut(details.get('position', ''), 24):<24} {cut(company, 16):<16} "
        f"{cut(','.join(flags), 22):<22}"
    )


def classified_table(results: Iterable[Classified]) -> Iterator[str]:
    """The `classify` table: one row per message, the file name last."""
    yield f"{TABLE_HEADER} FILE"
    for result in results:
        name = result.name.rsplit("/", 1)[-1]
        if result.error:
            yield f"{'error':<11} {'':>4}  {result.error[:96]:<96} {name}"
            continue
        firm_fallback = result.sender.partition("@")[2]
        row = verdict_row(
            result.label, result.confidence, result.action, result.details, firm_fallback,
            result.flags,
        )  # fmt: skip
        yield f"{row} {name}"


def history_table(rows: Iterable[Row], names: dict[str, str] | None = None) -> Iterator[str]:
    """The `history` table: newest first, the subject (or the demo's file name) last."""
    yield f"{'WHEN':<16} {TABLE_HEADER} {'DRAFT':<5} SUBJECT"
    for row in rows:
        when = row.updated_at.strftime("%Y-%m-%d %H:%M")
        last = (names or {}).get(row.ref) or cut(row.subject, 60)
        if row.status != "done":
            yield f"{when:<16} {'error':<11} {cut(row.error, 96):<96} {last}"
            continue
        flags = [flag["code"] for flag in row.standing.get("flags", [])]
        verdict = verdict_row(
            row.label, row.confidence, row.action or "none", row.details,
            row.sender.partition("@")[2], flags,
        )  # fmt: skip
        drafted = "yes" if row.draft_message_id else "-"
        yield f"{when:<16} {verdict} {drafted:<5} {last}"


def history_json(row: Row) -> dict[str, Any]:
    return {
        "when": row.updated_at.isoformat(),
        "folder": row.folder,
        "ref": row.ref,
        "message_id": row.message_id,
        "sender": row.sender,
        "subject": row.subject,
        "label": row.label,
        "confidence": round(row.confidence, 4),
        "action": row.action,
        "draft_message_id": row.draft_message_id,
        "status": row.status,
        "attempts": row.attempts,
        "error": row.error,
        "details": row.details,
        "standing": row.standing,
    }


def evaluation_lines(evaluation: classify.Evaluation) -> Iterator[str]:
    yield f"Stratified {evaluation.folds}-fold cross-validation"
    yield f"{'label':<11} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}"
    for label, score in evaluation.per_label.items():
        scores = f"{score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f}"
        yield f"{label:<11} {scores} {score.support:>5}"
    yield (
        f"macro-F1 {evaluation.macro_f1:.3f}  accuracy {evaluation.accuracy:.3f}  "
        f"recruiter precision {evaluation.recruiter_precision:.3f}  "
        f"recall {evaluation.recruiter_recall:.3f}"
    )
    yield "\nConfusion (rows: true label, columns: predicted)"
    short = [label[:8] for label in evaluation.labels]
    yield " " * 11 + "".join(f"{name:>9}" for name in short)
    for label, row in zip(evaluation.labels, evaluation.confusion, strict=True):
        yield f"{label:<11}" + "".join(f"{count:>9}" for count in row)


def training_json(report: TrainingReport) -> dict[str, Any]:
    return {
        "model": str(report.model_path),
        "card": str(report.card_path),
        "counts": report.card.counts,
        "corpus_hash": report.card.corpus_hash,
        "sklearn_version": report.card.sklearn_version,
        "evaluation": report.evaluation.summary(),
        "skipped": report.skipped,
    }


def draft_json(result: Classified) -> dict[str, Any]:
    if result.error:
        return {"path": result.name, "error": result.error}
    draft = result.draft
    body = draft.get_body(("plain",)) if draft else None
    return {
        "path": result.name,
        "label": result.label,
        "action": result.action,
        "reasons": list(result.reasons),
        "draft": None
        if draft is None
        else {
            "to": str(draft["To"]),
            "subject": str(draft["Subject"]),
            "in_reply_to": str(draft["In-Reply-To"] or ""),
            "references": str(draft["References"] or ""),
            "body": body.get_content() if body else "",
        },
    }


def settings_summary(settings: Settings, model_dir: str) -> dict[str, Any]:
    """The resolved settings for `triage config check`: where secrets come from, never them."""
    profile = settings.profile
    summary: dict[str, Any] = {
        "config": str(settings.path) + (" (bundled sample)" if settings.is_sample else ""),
        "profile": f"{profile.name} <{profile.address}>, stance {profile.stance}",
        "rules": len(profile.rules),
        "model": model_dir,
        "state": str(settings.state_path),
        "backfill_days": settings.run.backfill_days,
        "poll_interval": settings.run.poll_interval,
        "idle_renew": settings.run.idle_renew,
    }
    if settings.imap is not None:
        imap = settings.imap
        summary["mailbox"] = f"imap://{imap.username}@{imap.host}:{imap.port}/{imap.inbox}"
        summary["security"] = imap.security + (f", extra CA {imap.cafile}" if imap.cafile else "")
        summary["auth"] = imap.auth
        summary["secret"] = imap.secret.describe()
        summary["drafts"] = imap.drafts or "the \\Drafts special-use folder, else Drafts"
    elif settings.maildir is not None:
        summary["mailbox"] = f"maildir:{settings.maildir.path}"
        summary["drafts"] = settings.maildir.drafts
    else:
        summary["mailbox"] = "none: add [imap] or [maildir] before `triage run`"
    return summary


def comparison_lines(comparison: Comparison, shown: int = 30) -> Iterator[str]:
    """The current model and the candidate side by side, on held-out folds of your examples."""
    yield (
        f"On your {sum(sum(row) for row in comparison.current.confusion)} examples "
        f"({comparison.current.folds} held-out folds): current model vs candidate"
    )
    yield f"{'label':<11} {'n':>4} {'F1 now':>7} {'F1 new':>7}"
    for label in comparison.labels:
        now, new = comparison.current.per_label[label], comparison.candidate.per_label[label]
        yield f"{label:<11} {now.support:>4} {now.f1:>7.3f} {new.f1:>7.3f}"
    yield (
        f"macro-F1 {comparison.current_f1:.3f} -> {comparison.candidate_f1:.3f}   "
        f"accuracy {comparison.current.accuracy:.3f} -> {comparison.candidate.accuracy:.3f}"
    )
    for name, evaluation in (("current", comparison.current), ("candidate", comparison.candidate)):
        yield f"\nConfusion, {name} (rows: your label, columns: predicted)"
        yield " " * 11 + "".join(f"{label[:8]:>9}" for label in evaluation.labels)
        for label, row in zip(evaluation.labels, evaluation.confusion, strict=True):
            if label in comparison.labels:
                yield f"{label:<11}" + "".join(f"{count:>9}" for count in row)
    if comparison.changed:
        yield f"\n{len(comparison.changed)} of your examples the candidate labels differently:"
        for changed in comparison.changed[:shown]:
            yield (
                f"  {changed.current:>10} -> {changed.candidate:<10} (yours: {changed.truth:<10}) "
                f"{cut(changed.name, 60)}"
            )


def retrained_json(retrained: Retrained, installed: str, reason: str) -> dict[str, Any]:
    comparison = retrained.comparison
    return {
        "installed": installed,
        "reason": reason,
        "sources": retrained.sources,
        "counts": retrained.model.card.counts,
        "bundled_cross_validation": retrained.bundled_check,
        "comparison": None
        if comparison is None
        else {
            "labels": list(comparison.labels),
            "current": comparison.current.summary(),
            "candidate": comparison.candidate.summary(),
            "current_macro_f1": comparison.current_f1,
            "candidate_macro_f1": comparison.candidate_f1,
            "changed": [asdict(changed) for changed in comparison.changed],
        },
        "skipped": retrained.skipped,
    }


def corrections_lines(rows: list[tuple[Correction, str]]) -> Iterator[str]:
    yield f"{'WHEN':<16} {'TRIAGE SAID':<11} {'YOU SAID':<11} {'MODEL NOW':<11} {'HOW':<22} SUBJECT"
    for correction, now in rows:
        when = correction.at.strftime("%Y-%m-%d %H:%M") if correction.at else ""
        yield (
            f"{when:<16} {correction.given:<11} {correction.corrected:<11} {now or '?':<11} "
            f"{cut(correction.source, 22):<22} {cut(correction.subject, 60)}"
        )
