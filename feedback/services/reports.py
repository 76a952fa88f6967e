"""Filing reports, commenting, +1 on shared boards and attachments."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from accounts.models import Membership, User
from accounts.services import audit_record, notify
from core.errors import ApplicationError
from core.stored_files import save_with_file
from feedback import selectors
from feedback.models import SEVERITIES, Attachment, Report, ReportComment, ReportVote
from feedback.permissions import may_triage
from feedback.uploads import MAX_PER_REPORT, UploadRefused, check_upload
from generations.models import Generation


def _invalid(message: str, **fields) -> ApplicationError:
    return ApplicationError("invalid", message, status=400, fields=fields)


def generation_context(generation: Generation) -> dict:
    """What staff need to reproduce a problem with a clip, captured when the report is filed."""
    return {
        "id": str(generation.public_id), "preset": generation.preset, "status": generation.status,
        "parameters": {"width": generation.width, "height": generation.height, "num_frames": generation.num_frames,
                       "fps": generation.fps, "steps": generation.steps, "guidance": generation.guidance},
        "seed": generation.seed, "error": generation.failure_message, "worker": generation.lease_owner,
        "attempts": generation.attempts, "queued_at": generation.queued_at.isoformat(),
    }  # fmt: skip


@transaction.atomic
def report_create(
    *,
    reporter: User,
    cohort_slug: str | None,
    kind: str,
    title: str,
    body: str,
    severity: str = "",
    generation_ids: list[str] | None = None,
    attachments: list[tuple[str, bytes]] = (),
) -> Report:
    """File a bug, feedback or an idea in one of the reporter's cohorts, at the rate card in force now,
    with ``attachments`` ((name, bytes) each): every file is checked before anything is stored, so a
    refused one files nothing."""
    memberships = Membership.objects.active().filter(user=reporter).select_related("cohort")
    if cohort_slug:
        memberships = memberships.filter(cohort__slug=cohort_slug)
    cohorts = [membership.cohort for membership in memberships]
    if len(cohorts) != 1:
        raise _invalid(
            "Name one of your cohorts." if cohorts else "You are not an active member of that cohort.",
            cohort="unknown" if not cohorts else "choose one",
        )
    cohort = cohorts[0]
    title, body = (title or "").strip(), (body or "").strip()
    if kind not in Report.Kind.values:
        raise _invalid("Choose bug, feedback or idea.", kind="bug, feedback or idea")
    if not 1 <= len(title) <= 200:
        raise _invalid("Give the report a title of 1 to 200 characters.", title="1-200 characters")
    if not body or len(body) > 20000:
        raise _invalid("Describe it in 1 to 20,000 characters.", body="1-20,000 characters")
    if kind == Report.Kind.BUG and severity not in SEVERITIES:
        raise _invalid("Say how bad the bug is: low, medium, high or critical.", severity="low, medium, high, critical")
    try:
        wanted = list(dict.fromkeys(uuid.UUID(str(value)) for value in generation_ids or []))
    except ValueError:
        raise _invalid("Link clips by their ids.", generations="not a clip id") from None
    generations = list(Generation.objects.filter(artist=reporter, public_id__in=wanted)) if wanted else []
    if len(generations) != len(wanted):
        raise _invalid("Link only your own clips.", generations="not yours or unknown")
    if len(attachments) > MAX_PER_REPORT:
        raise _invalid(f"A report takes at most {MAX_PER_REPORT} attachments.", file="too many")
    checked = [(name, _checked(data)) for name, data in attachments]
    # Staff file reports in the cohorts they staff like anyone, but earn nothing there (docs/feedback.md).
    filed_by_staff = may_triage(user=reporter, cohort_id=cohort.pk)
    report = Report.objects.create(
        cohort=cohort, reporter=reporter, kind=kind, title=title, body=body, filed_by_staff=filed_by_staff,
        severity=severity if kind == Report.Kind.BUG else "",
        rate_card=None if filed_by_staff else selectors.rate_card_in_force(cohort=cohort),
        context=[generation_context(generation) for generation in generations],
    )  # fmt: skip
    report.generations.set(generations)
    for name, upload in checked:
        _store(report, upload, name)
    audit_record(action="report.filed", actor=reporter, target=report, subject_user=reporter, cohort=cohort)
    return report


def _checked(data: bytes):
    try:
        return check_upload(data)
    except UploadRefused as exc:
        raise _invalid(str(exc), file=str(exc)) from None


def _store(report: Report, checked, name: str) -> Attachment:
    """Save a checked file and its row (every check came before)."""
    attachment = Attachment(
        report=report, content_type=checked.content_type, size=len(checked.content),
        original_name=(name or "attachment")[:200],
    )  # fmt: skip
    save_with_file(attachment, "file", f"{report.pk}.{checked.extension}", checked.content)
    return attachment


@transaction.atomic
def report_comment(*, author: User, report: Report, body: str, as_staff: bool) -> ReportComment:
    """A comment the reporter sees (staff replies notify the reporter). On their own report a staff member
    comments as its reporter, never as staff."""
    as_staff = as_staff and report.reporter_id != author.pk
    body = (body or "").strip()
    if not body or len(body) > 10000:
        raise _invalid("Write 1 to 10,000 characters.", body="1-10,000 characters")
    comment = ReportComment.objects.create(report=report, author=author, body=body, by_staff=as_staff)
    if as_staff and report.reporter_id != author.pk:
        notify(
            user=report.reporter, kind="report_comment", title=f"Staff replied on “{report.title}”",
            body=body[:1000], email=True,
        )  # fmt: skip
    return comment


def report_vote(*, user: User, report: Report) -> bool:
    """+1 on a shared board's report (once per member); False when it was there already."""
    try:
        with transaction.atomic():
            ReportVote.objects.create(report=report, user=user)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def attachment_add(*, actor: User, report: Report, data: bytes, name: str) -> Attachment:
    """Attach a checked file to the reporter's own report; nothing is stored when it is refused."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if actor.pk != report.reporter_id:
        raise ApplicationError("permission_denied", "Only the reporter attaches files.", status=403)
    if report.attachments.count() >= MAX_PER_REPORT:
        raise _invalid(f"A report takes at most {MAX_PER_REPORT} attachments.", file="too many")
    return _store(report, _checked(data), name)
