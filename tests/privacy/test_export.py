"""The export: everything an artist has, in one ZIP whose manifest counts what the database holds and
whose hashes verify; theirs alone, for seven days; one at a time and a few a day."""

import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, ConsentRecord, Notification, User
from core.errors import ApplicationError
from feedback.models import Attachment, ContributionEntry, Report, ReportComment
from generations.models import Generation, LedgerEntry, StaffAccess
from privacy import services
from privacy.models import DataExport
from reviews.models import Appeal, Decision, PublicationRequest
from tests.support.clients import api_client_for, sign_in, token_client


def built(user, **extra) -> DataExport:
    export = services.export_request(user=user, **extra)
    assert services.export_build(export_id=export.pk) == "ready"
    export.refresh_from_db()
    return export


def opened(export: DataExport) -> zipfile.ZipFile:
    with export.file.open("rb") as stored:
        return zipfile.ZipFile(io.BytesIO(stored.read()))


def test_the_archive_holds_everything_the_database_holds_and_its_hashes_verify(seeded):
    artist = seeded.artist
    export = built(artist)
    archive = opened(export)
    manifest = json.loads(archive.read("manifest.json"))
    counts = manifest["counts"]
    assert manifest["schema"] == "vernissage.export/1"
    assert counts["clips"] == Generation.objects.filter(artist=artist, deleted_at__isnull=True).count() == 2
    assert counts["publication_requests"] == PublicationRequest.objects.filter(artist=artist).count() == 2
    assert counts["decisions"] == Decision.objects.filter(request__artist=artist).count() == 2
    assert counts["appeals"] == Appeal.objects.filter(request__artist=artist).count() == 1
    assert counts["reports"] == Report.objects.filter(reporter=artist).count() == 1
    assert counts["report_comments"] == ReportComment.objects.filter(report__reporter=artist).count() == 2
    assert counts["attachments"] == Attachment.objects.filter(report__reporter=artist).count() == 1
    assert counts["contributions"] == ContributionEntry.objects.filter(artist=artist).count() == 1
    assert counts["credit_ledger_entries"] == LedgerEntry.objects.filter(account__user=artist).count()
    assert counts["consents"] == ConsentRecord.objects.filter(user=artist).count() == 2
    assert counts["staff_accesses"] == StaffAccess.objects.filter(generation__artist=artist).count() >= 1
    assert counts["audit_events"] == json.loads(archive.read("account/audit_events.json")).__len__() > 0
    assert export.counts == counts

    # Every file listed is in the archive with the hash the manifest gives; the whole ZIP's hash is shown.
    names = set(archive.namelist())
    assert {record["path"] for record in manifest["files"]} | {"manifest.json"} == names
    for record in manifest["files"]:
        assert hashlib.sha256(archive.read(record["path"])).hexdigest() == record["sha256"], record["path"]
    with export.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == export.sha256

    clips = {clip["prompt"]: clip for clip in manifest["clips"]}
    assert set(clips) == {"a heron at dusk", "a fox in snow"}  # the deleted clip is not exported
    heron = clips["a heron at dusk"]
    assert set(heron["files"]) == {"video", "poster", "signed_copy"}  # published: its C2PA-signed copy too
    generation = Generation.objects.get(public_id=heron["id"])
    assert heron["files"]["video"]["sha256"] == generation.video_sha256
    assert heron["seed"] == generation.seed and heron["preset"] == generation.preset and "timings" in heron
    requests = json.loads(archive.read("publishing/requests.json"))
    fox = next(request for request in requests if request["title"] == "Fox")
    assert "Likeness of a real person" in fox["decisions"][0]["statement_text"]
    assert fox["appeals"][0]["message"] == "It is my own face."
    reports = json.loads(archive.read("reports/reports.json"))
    assert [c["body"] for c in reports[0]["comments"]] == ["Reproduced.", "Thanks!"]
    attached = Attachment.objects.get()
    with attached.file.open("rb") as stored:
        assert archive.read(reports[0]["attachments"][0]["path"]) == stored.read()
    assert reports[0]["attachments"][0]["path"].startswith("reports/")  # no way out of its folder
    contributions = archive.read("ledgers/contributions.csv").decode().splitlines()
    assert contributions[0].startswith("created_at,cohort,kind") and "6000,EUR,20" in contributions[1]
    # The artist is told, by a notification and an email (through the outbox), with the hash.
    told = Notification.objects.get(user=artist, kind="export_ready")
    assert export.sha256 in told.body


def test_the_api_queues_reports_progress_and_downloads_only_for_its_owner(seeded):
    artist, other = seeded.artist, seeded.other_artist
    client, _ = token_client(artist, scopes=["account:export"])
    answer = client.post("/api/v1/me/exports/")
    assert answer.status_code == 202 and answer.json()["state"] == "queued" and answer.json()["download_url"] is None
    export_id = answer.json()["id"]
    assert client.post("/api/v1/me/exports/").status_code == 409  # one at a time
    services.export_build(export_id=DataExport.objects.get(public_id=export_id).pk)

    detail = client.get(f"/api/v1/me/exports/{export_id}/").json()
    assert detail["state"] == "ready" and detail["progress"] == 100 and detail["expires_at"]
    download = client.get(detail["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == detail["sha256"]
    assert AuditEvent.objects.filter(action="export.downloaded", actor=artist).count() == 1
    # A download resumed in ranges is one download: only a response from the first byte is audited.
    rest = client.get(detail["download_url"], HTTP_RANGE="bytes=100-")
    assert rest.status_code == 206 and b"".join(rest.streaming_content) == body[100:]
    assert client.head(detail["download_url"]).status_code == 200
    assert AuditEvent.objects.filter(action="export.downloaded", actor=artist).count() == 1
    assert client.get(detail["download_url"], HTTP_RANGE="bytes=0-99").status_code == 206
    assert AuditEvent.objects.filter(action="export.downloaded", actor=artist).count() == 2

    # Another artist, even holding the link, gets nothing; a forged signature neither.
    stranger = api_client_for(other)
    assert stranger.get(f"/api/v1/me/exports/{export_id}/").status_code == 404
    assert stranger.get(detail["download_url"]).status_code == 404
    forged = detail["download_url"].split("signature=")[0] + "signature=x"
    assert client.get(forged).status_code == 404
    # A token without the scope is refused.
    narrow, _ = token_client(artist, scopes=["generations:read"])
    assert narrow.get(f"/api/v1/me/exports/{export_id}/").status_code == 403


def test_a_link_past_its_expiry_is_refused_and_the_sweep_removes_the_archive(seeded):
    export = built(seeded.artist)
    link = f"/account/data/exports/{export.public_id}/download/?signature={services.download_signature(export)}"
    page = Client()
    sign_in(page, seeded.artist)
    assert page.get(link).status_code == 200
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = page.get(link, follow=True)
    assert b"This export has expired" in refused.content
    name = export.file.name
    assert services.exports_sweep()["expired"] == 1
    export.refresh_from_db()
    assert export.state == "expired" and not export.file and not export.file.storage.exists(name)


def test_a_few_a_day_and_staff_build_one_at_the_artists_request_audited(seeded):
    artist, admin = seeded.artist, seeded.admin
    for _ in range(services.EXPORTS_PER_DAY):
        built(artist)
    client = api_client_for(artist)
    refused = client.post("/api/v1/me/exports/")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"

    DataExport.objects.update(created_at=timezone.now() - timedelta(days=2))
    staff = Client()
    sign_in(staff, admin)
    answer = staff.post("/staff/exports/", {"email": artist.email.upper()})
    assert answer.status_code == 302
    export = DataExport.objects.get(requested_by=admin)
    assert export.user == artist
    assert AuditEvent.objects.filter(action="export.requested", actor=admin, subject_user=artist).exists()
    assert staff.post("/staff/exports/", {"email": "nobody@example.org"}).status_code == 400
    listed = api_client_for(artist).get("/api/v1/me/exports/").json()
    assert listed[0]["requested_by_staff"] is True

    # The admin who built it may download it to hand it over, while an admin; nobody else builds one.
    services.export_build(export_id=export.pk)
    link = f"/account/data/exports/{export.public_id}/download/?signature={services.download_signature(export)}"
    assert staff.get(link).status_code == 200
    User.objects.filter(pk=admin.pk).update(role=User.Role.ARTIST)
    assert staff.get(link).status_code == 404
    with pytest.raises(ApplicationError) as refused:
        services.export_request(user=seeded.other_artist, requested_by=seeded.reviewer)
    assert refused.value.status == 403 and not DataExport.objects.filter(user=seeded.other_artist).exists()


def test_the_data_page_offers_the_export_and_shows_its_progress(seeded):
    page = Client()
    sign_in(page, seeded.artist)
    assert b"Build my export" in page.get("/account/data/").content
    page.post("/account/data/exports/")
    export = DataExport.objects.get()
    shown = page.get("/account/data/").content.decode()
    assert "Queued" in shown and 'hx-trigger="every 2s"' in shown  # polled while it is built
    polled = page.get("/account/data/", HTTP_HX_REQUEST="true").content.decode()
    assert "<h1>" not in polled and "disabled" in polled and "One is being built" in polled
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    polled = page.get("/account/data/", HTTP_HX_REQUEST="true").content.decode()  # the button comes back with it
    assert "disabled" not in polled and "every 2s" not in polled and export.sha256 in polled
    shown = page.get("/account/data/").content.decode()
    assert export.sha256 in shown and f"/account/data/exports/{export.public_id}/download/?signature=" in shown
    assert Client().get("/privacy/").status_code == 200  # what is kept and why, readable before signing in


def test_building_keeps_memory_flat_whatever_the_size_of_the_clips(seeded):
    """tracemalloc's peak while building an archive of three 8-MiB videos stays below one of them: files
    are copied in chunks, never held whole (bench/export.py measures 20 clips against 200)."""
    clips, size = 3, 8 * 1024 * 1024
    built(seeded.artist)  # once first: the modules a first build imports are not the archive's memory
    import tracemalloc

    from django.core.files.base import ContentFile

    for generation in Generation.objects.filter(artist=seeded.artist, deleted_at__isnull=True)[:1]:
        for n in range(clips):
            generation.pk = None
            generation.public_id = uuid.uuid4()
            generation.video = ContentFile(bytes(size), name=f"big-{n}.mp4")
            generation.idempotency_key = None
            generation.save()
    export = services.export_request(user=seeded.artist)
    tracemalloc.start()
    services.export_build(export_id=export.pk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    export.refresh_from_db()
    assert export.size_bytes > clips * size
    assert peak < size * 0.75, f"peak {peak} bytes"


def test_staff_build_only_for_artists_download_only_with_a_second_factor_and_the_artist_sees_it(seeded):
    artist, admin = seeded.artist, seeded.admin
    staff = Client()
    sign_in(staff, admin)
    for not_an_artist in (seeded.reviewer, seeded.second_reviewer):  # their sign-in addresses, what they saw
        assert staff.post("/staff/exports/", {"email": not_an_artist.email}).status_code == 400
        with pytest.raises(ApplicationError) as refused:
            services.export_request(user=not_an_artist, requested_by=admin)
        assert refused.value.code == "not_an_artist"
    assert not DataExport.objects.exclude(user=artist).exists()

    export = built(artist, requested_by=admin)
    query = f"?signature={services.download_signature(export)}"
    clips = Generation.objects.filter(artist=artist).count()
    assert clips >= 2 and not StaffAccess.objects.filter(via="export").exists()
    # An admin token without staff:all (made after a second factor) is no staff credential.
    plain, _ = token_client(admin, scopes=["account:export"])
    refused = plain.get(f"/api/v1/me/exports/{export.public_id}/download/{query}")
    assert refused.status_code == 403 and not StaffAccess.objects.filter(via="export").exists()
    password_only = Client()
    password_only.force_login(admin)  # a session without the second factor
    assert password_only.get(f"/account/data/exports/{export.public_id}/download/{query}").status_code == 302
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()

    full, _ = token_client(admin, scopes=["account:export", "staff:all"])
    assert full.get(f"/api/v1/me/exports/{export.public_id}/download/{query}").status_code == 200
    assert StaffAccess.objects.filter(viewer=admin, via="export").count() == clips  # every clip inside
    assert staff.get(f"/account/data/exports/{export.public_id}/download/{query}").status_code == 200
    # The artist reads it where they read every staff access.
    clip = Generation.objects.filter(artist=artist, deleted_at=None).first()
    page = api_client_for(artist).get(f"/studio/g/{clip.public_id}/").content.decode()
    assert "A data export staff built at your request" in page


@pytest.mark.parametrize("requested_by_staff", [False, True])
def test_attachments_of_any_name_are_exported_under_safe_names(seeded, requested_by_staff):
    """Found from outside: an attachment named "!!!" made every export of its artist fail."""
    from privacy.archive import ENTRY_NAME_MAX_BYTES
    from tests.privacy.conftest import png
    from tests.support.board import bug

    names = ["!!!", "..", "CON", "con.txt", "é" * 200 + ".png", "ملف.png", "名前.png", "😀.png", "a/b\\c.png", ""]
    files = [(name or "x", png()) for name in names]
    report = bug(seeded, title="Odd names", attachments=files[:5])
    bug(seeded, title="More odd names", attachments=files[5:])
    Attachment.objects.filter(original_name="x").update(original_name="")
    Attachment.objects.filter(report__title="More odd names").update(report=report)  # five a report at most
    export = built(seeded.artist, **({"requested_by": seeded.admin} if requested_by_staff else {}))
    assert export.state == "ready"
    entries = [name for name in opened(export).namelist() if name.startswith(f"reports/{report.pk}/")]
    assert len(entries) == len(names) == len(set(entries))
    for entry in entries:
        last = entry.rsplit("/", 1)[-1]
        assert last and not last.startswith(".") and ".." not in entry
        assert len(last.encode()) <= len("10-") + ENTRY_NAME_MAX_BYTES
        assert last.split(".")[0].split("-", 1)[1].upper() not in ("CON", "NUL", "")
    assert any(entry.endswith("-ملف.png") for entry in entries) and any(entry.endswith("-file") for entry in entries)


def test_staff_actions_about_an_artist_show_who_but_never_the_staff_members_address_or_ip(seeded):
    """Security events on the profile and in the export: the artist's own actions with their IP address;
    a staff member's by name, without the staff member's sign-in address or where they acted from."""
    from accounts.services import audit_record

    artist, reviewer = seeded.artist, seeded.reviewer
    audit_record(action="membership.suspended", actor=reviewer, subject_user=artist, ip="203.0.113.77")
    audit_record(action="auth.signed_in", actor=artist, subject_user=artist, ip="198.51.100.5")
    page = api_client_for(artist).get("/profile/").content.decode()
    assert str(reviewer) in page and reviewer.email not in page and "203.0.113.77" not in page
    assert "198.51.100.5" in page  # their own sign-in, where it came from
    events = json.loads(opened(built(artist)).read("account/audit_events.json"))
    staff = [event for event in events if event["action"] == "membership.suspended"]
    assert staff and staff[0]["ip"] is None and not staff[0]["by_you"]
    assert any(event["ip"] == "198.51.100.5" for event in events if event["by_you"])
