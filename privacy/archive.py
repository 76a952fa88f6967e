"""The export archive: one ZIP of everything an artist has here, written entry by entry to a file.

Files are copied from storage in chunks and rows are read in batches, so building the archive of an
artist with thousands of clips takes as much memory as one with ten (bench/export.py measures it).
``manifest.json`` lists every file with its SHA-256 and counts every kind of row, so the artist (or a
script) can check the archive is whole: docs/privacy.md shows how.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from accounts.models import AuditEvent, ConsentRecord, TermsAcceptance, User
from core.relations import related_or_none
from feedback.models import ContributionEntry, PayoutStatement, Report, ReportComment
from generations.models import Generation, LedgerEntry, StaffAccess
from generations.pricing import adapters_of
from reviews import selectors as review_selectors
from reviews.models import Publication

SCHEMA = "vernissage.export/1"
CHUNK = 1024 * 1024
BATCH = 200


@dataclass
class Archive:
    """A ZIP being written to ``target`` (an open binary file), with the hash of every entry."""

    target: object
    files: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.zip = zipfile.ZipFile(self.target, "w", allowZip64=True)

    def add_stream(self, path: str, source, *, compress: bool = False) -> dict:
        """Copy ``source`` (a readable binary file) into the archive at ``path``, chunk by chunk."""
        return self.add_chunks(path, iter(lambda: source.read(CHUNK), b""), compress=compress)

    def add_chunks(self, path: str, chunks: Iterable[bytes], *, compress: bool = False) -> dict:
        digest, size = hashlib.sha256(), 0
        info = zipfile.ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED  # video is compressed
        with self.zip.open(info, "w", force_zip64=True) as entry:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                entry.write(chunk)
        record = {"path": path, "sha256": digest.hexdigest(), "bytes": size}
        self.files.append(record)
        return record

    def add_stored(self, path: str, stored) -> dict | None:
        """A file from storage (a FieldFile), or None when it is gone (the row outlived its file)."""
        if not stored or not stored.name:
            return None
        try:
            source = stored.storage.open(stored.name, "rb")
        except (FileNotFoundError, OSError):
            return None
        with source:
            return self.add_stream(path, source)

    def add_bytes(self, path: str, data: bytes) -> dict:
        return self.add_stream(path, io.BytesIO(data), compress=True)

    def add_json(self, path: str, value) -> dict:
        """``value`` as JSON, encoded piece by piece (a large manifest is never one string in memory)."""
        encoder = json.JSONEncoder(indent=2, default=str, ensure_ascii=False)
        return self.add_chunks(path, (piece.encode() for piece in encoder.iterencode(value)), compress=True)

    def add_csv(self, path: str, header: list[str], rows: Iterable[list]) -> int:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        self.add_bytes(path, text.getvalue().encode())
        return count

    def close(self) -> None:
        self.zip.close()


def build(archive: Archive, user: User, *, on_progress: Callable[[float], None] = lambda fraction: None) -> dict:
    """Write everything ``user`` has here into ``archive``, the manifest last; returns its counts."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:  # the clips' manifest entries, one a line
        return _build(archive, user, on_progress, spool)


def _build(archive: Archive, user: User, on_progress, spool) -> dict:
    counts: dict[str, int] = {}
    _clips(archive, user, counts, on_progress, spool)
    counts["publication_requests"], counts["decisions"], counts["appeals"] = _publishing(archive, user)
    counts["reports"], counts["report_comments"], counts["attachments"] = _reports(archive, user)
    counts["credit_ledger_entries"] = archive.add_csv(
        "ledgers/credits.csv",
        ["created_at", "cohort", "kind", "amount", "clip", "note"],
        (
            [e.created_at.isoformat(), e.account.cohort.slug, e.kind, e.amount, _clip_id(e.generation), e.note]
            for e in LedgerEntry.objects.filter(account__user=user)
            .select_related("account__cohort", "generation")
            .order_by("created_at", "pk")
            .iterator(chunk_size=BATCH)
        ),
    )
    counts["contributions"] = archive.add_csv(
        "ledgers/contributions.csv",
        ["created_at", "cohort", "kind", "report", "amount_minor", "currency", "credits", "reason", "corrects"],
        (
            [
                e.created_at.isoformat(),
                e.cohort.slug,
                e.kind,
                e.report_id or "",
                e.amount_minor,
                e.currency,
                e.credits,
                e.reason,
                e.corrects_id or "",
            ]
            for e in ContributionEntry.objects.filter(artist=user)
            .select_related("cohort")
            .order_by("created_at", "pk")
            .iterator(chunk_size=BATCH)
        ),
    )
    counts["payout_statements"] = archive.add_csv(
        "ledgers/payout_statements.csv",
        ["period", "totals", "credits", "entries", "state", "closed_at", "paid_on", "paid_reference"],
        (
            [
                s.period,
                json.dumps(s.totals),
                s.credits,
                s.entry_count,
                s.state,
                s.closed_at.isoformat(),
                s.paid_on or "",
                s.paid_reference,
            ]
            for s in PayoutStatement.objects.filter(artist=user).order_by("period", "pk")
        ),
    )
    counts["consents"] = _json_rows(
        archive,
        "account/consents.json",
        (
            {"kind": c.kind, "value": c.value, "consent_version": c.consent_version, "recorded_at": c.recorded_at}
            for c in ConsentRecord.objects.filter(user=user).order_by("recorded_at", "pk")
        ),
    )
    counts["terms_accepted"] = _json_rows(
        archive,
        "account/terms_accepted.json",
        (
            {"cohort": t.terms.cohort.slug, "version": t.terms.version, "accepted_at": t.accepted_at, "ip": t.ip}
            for t in TermsAcceptance.objects.filter(user=user).select_related("terms__cohort").order_by("pk")
        ),
    )
    counts["staff_accesses"] = _json_rows(
        archive,
        "account/staff_access_log.json",
        (
            {"clip": str(a.generation.public_id), "viewer": a.viewer.display_name or "staff", "via": a.via, "at": a.at}
            for a in StaffAccess.objects.filter(generation__artist=user)
            .select_related("generation", "viewer")
            .order_by("at", "pk")
            .iterator(chunk_size=BATCH)
        ),
    )
    counts["audit_events"] = _json_rows(
        archive,
        "account/audit_events.json",
        (
            {
                "at": e.created_at,
                "action": e.action,
                "target": e.target_repr,
                "by_you": e.actor_id == user.pk,
                "data": e.data,
                "ip": e.ip if e.actor_id == user.pk else None,  # a staff member's address is not theirs
            }
            for e in AuditEvent.objects.filter(Q(subject_user=user) | Q(actor=user))
            .order_by("created_at", "pk")
            .iterator(chunk_size=BATCH)
        ),
    )
    archive.add_json(
        "account/profile.json",
        {"email": user.email, "display_name": user.display_name, "role": user.role, "joined": user.date_joined},
    )
    counts["files"] = len(archive.files) + 1  # and the manifest itself
    header = {
        "schema": SCHEMA,
        "generated_at": timezone.now(),
        "artist": {"email": user.email, "display_name": user.display_name},
        "counts": counts,
    }
    archive.add_chunks("manifest.json", _manifest(header, spool, archive.files), compress=True)
    on_progress(1.0)
    return counts


def _manifest(header: dict, spool, files: list[dict]) -> Iterator[bytes]:
    """The manifest's JSON, written piece by piece: the header, the clips from the spool, the files."""
    head = json.dumps(header, indent=2, default=str, ensure_ascii=False)
    yield (head[: -len("\n}")] + ',\n  "clips": [').encode()
    spool.seek(0)
    for n, line in enumerate(spool):
        yield ((",\n    " if n else "\n    ") + line.rstrip("\n")).encode()
    yield ('\n  ],\n  "files": ' + json.dumps(files, ensure_ascii=False) + "\n}\n").encode()


# Names Windows refuses for a file whatever its extension; a ZIP is opened there too.
_RESERVED = re.compile(r"(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?", re.IGNORECASE)
_UNSAFE = re.compile(r"[^\w.\- ]+")  # \w is Unicode: letters and digits of any script stay
ENTRY_NAME_MAX_BYTES = 120


def entry_name(original: str, *, fallback: str = "file") -> str:
    """A safe last part for an archive entry from a name a person gave a file: any script kept, path parts,
    control and punctuation characters dropped, no leading dot, no name Windows reserves, at most
    ENTRY_NAME_MAX_BYTES of UTF-8 (the extension kept), and ``fallback`` where no letter or digit is left."""
    name = unicodedata.normalize("NFC", re.split(r"[/\\]", original or "")[-1])
    name = re.sub(r"_{2,}", "_", " ".join(_UNSAFE.sub("_", name).split()))
    stem, dot, extension = name.rpartition(".")
    if not dot or not re.fullmatch(r"[^\W_]{1,10}", extension):
        stem, dot, extension = name, "", ""
    stem = stem.strip("._ ")
    if not re.search(r"[^\W_]", stem):  # nothing but separators: "!!!", "..", an emoji
        stem = fallback
    if _RESERVED.fullmatch(stem):
        stem = f"_{stem}"
    while len((stem + dot + extension).encode()) > ENTRY_NAME_MAX_BYTES:
        stem = stem[:-1]
    return stem.rstrip("._ ") + dot + extension


def _clip_id(generation: Generation | None) -> str:
    return str(generation.public_id) if generation else ""


def _json_rows(archive: Archive, path: str, rows: Iterable[dict]) -> int:
    rows = list(rows)  # small per artist (hundreds of rows); the clips are what is large
    archive.add_json(path, rows)
    return len(rows)


def _clips(archive: Archive, user: User, counts: dict, on_progress, spool) -> None:
    """Every clip the artist still has (not deleted): its files and, for published ones, the signed copy;
    each clip's manifest entry goes to ``spool``, so a thousand clips are not a thousand dicts in memory."""
    clips = Generation.objects.filter(artist=user, deleted_at__isnull=True).select_related("cohort", "start_image")
    total = clips.count() or 1
    signed = {  # the published clips' signed copies, in one query (a few per artist)
        publication.request.generation_id: publication
        for publication in Publication.objects.filter(request__artist=user, signed_at__isnull=False)
        .exclude(video="")
        .select_related("request")
    }
    counts["clips"] = counts["clip_files"] = 0
    for n, clip in enumerate(clips.order_by("queued_at", "pk").iterator(chunk_size=BATCH), 1):
        base = f"clips/{clip.public_id}"
        files = {
            "video": archive.add_stored(f"{base}.mp4", clip.video),
            "poster": archive.add_stored(f"{base}.jpg", clip.poster),
        }
        if clip.start_image_id:
            extension = clip.start_image.file.name.rsplit(".", 1)[-1]
            files["start_image"] = archive.add_stored(f"{base}.start.{extension}", clip.start_image.file)
        if clip.pk in signed:
            files["signed_copy"] = archive.add_stored(f"{base}.c2pa.mp4", signed[clip.pk].video)
        entry = {
                "id": str(clip.public_id), "cohort": clip.cohort.slug, "status": clip.status,
                "prompt": clip.prompt, "negative_prompt": clip.negative_prompt, "preset": clip.preset,
                "adapters": adapters_of(clip.preset, clip.style), "style": clip.style,
                "settings": {"width": clip.width, "height": clip.height, "frames": clip.num_frames, "fps": clip.fps,
                             "steps": clip.steps, "guidance": clip.guidance, "image_fit": clip.image_fit},
                "seed": clip.seed, "cost_credits": clip.cost, "attempts": clip.attempts,
                "timings": {"queued_at": clip.queued_at, "started_at": clip.started_at,
                            "finished_at": clip.finished_at, "gpu_seconds": clip.gpu_seconds,
                            "phase_ms": clip.phase_ms},
                "video_sha256": clip.video_sha256, "failure_message": clip.failure_message,
                "files": {kind: record for kind, record in files.items() if record},
        }  # fmt: skip
        spool.write(json.dumps(entry, default=str, ensure_ascii=False) + "\n")
        counts["clips"] += 1
        counts["clip_files"] += len(entry["files"])
        if n % 10 == 0:
            on_progress(0.9 * n / total)


def _publishing(archive: Archive, user: User) -> tuple[int, int, int]:
    """Publication requests with every decision in effect, its statement of reasons, and the appeals."""
    requests = review_selectors.with_statements(list(review_selectors.requests_of(artist=user)))
    rows, decisions, appeals = [], 0, 0
    for request in requests:
        publication = related_or_none(request, "publication")
        request_appeals = list(request.appeals.all())
        rows.append(
            {
                "id": request.pk, "clip": str(request.generation.public_id), "title": request.title,
                "caption": request.caption, "credit_line": request.credit_line, "show_prompt": request.show_prompt,
                "state": request.state, "asked_at": request.created_at, "closed_at": request.closed_at,
                "decisions": [
                    {"outcome": d.outcome, "decided_at": d.decided_at, "statement_of_reasons": statement,
                     "statement_text": review_selectors.statement_as_text(statement)}
                    for d, statement in zip(request.decision_list, request.statements, strict=True)
                ],
                "appeals": [{"message": a.message, "filed_at": a.created_at, "decided": a.decision_id is not None}
                            for a in request_appeals],
                "publication": None if publication is None else {
                    "id": str(publication.public_id), "published_at": publication.published_at,
                    "withdrawn_at": publication.withdrawn_at, "taken_down_at": publication.taken_down_at,
                    "video_sha256": publication.video_sha256, "provenance": publication.provenance,
                },
            }
        )  # fmt: skip
        decisions += len(request.decision_list)
        appeals += len(request_appeals)
    archive.add_json("publishing/requests.json", rows)
    return len(rows), decisions, appeals


def _reports(archive: Archive, user: User) -> tuple[int, int, int]:
    """The artist's reports with the comments they can see and their attachments (files beside them)."""
    reports = (
        Report.objects.filter(reporter=user)
        .select_related("cohort")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    comments = {}
    for comment in (
        ReportComment.objects.filter(report__reporter=user).select_related("author").order_by("created_at", "pk")
    ):
        author = "you" if comment.author_id == user.pk else ("staff" if comment.by_staff else "a member")
        comments.setdefault(comment.report_id, []).append(
            {"by": author, "body": comment.body, "at": comment.created_at}
        )
    rows, attachments = [], 0
    for report in reports:
        files = []
        for n, attachment in enumerate(report.attachments.all(), 1):
            name = entry_name(attachment.original_name)
            stored = archive.add_stored(f"reports/{report.pk}/{n}-{name}", attachment.file)
            if stored:
                files.append({**stored, "name": attachment.original_name, "content_type": attachment.content_type})
        attachments += len(files)
        rows.append(
            {
                "id": report.pk, "cohort": report.cohort.slug, "kind": report.kind, "title": report.title,
                "body": report.body, "severity": report.severity, "state": report.state,
                "outcome_reason": report.outcome_reason, "filed_at": report.created_at, "context": report.context,
                "comments": comments.get(report.pk, []), "attachments": files,
            }
        )  # fmt: skip
    archive.add_json("reports/reports.json", rows)
    elsewhere = [
        {"report": c.report_id, "report_title": c.report.title, "body": c.body, "at": c.created_at}
        for c in ReportComment.objects.filter(author=user)
        .exclude(report__reporter=user)
        .select_related("report")
        .order_by("created_at", "pk")
    ]
    archive.add_json("reports/your_comments_on_other_reports.json", elsewhere)
    return len(rows), sum(len(c) for c in comments.values()) + len(elsewhere), attachments
