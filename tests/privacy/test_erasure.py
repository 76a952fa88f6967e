"""Erasure that keeps the books: after the grace period none of the artist's files are in storage, the
ledgers still balance to the cent and the credit, every kept row is pseudonymised, sign-in fails and the
board still reads; signing in during the grace period cancels it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.db.models import Q, Sum
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, AuditEvent, ConsentRecord, Invitation, User
from accounts.services import token_create
from feedback.models import ContributionEntry, Report, ReportComment
from generations.ledger import EFFECT
from generations.models import CreditAccount, Generation, LedgerEntry
from generations.services import generation_submit
from privacy import services
from privacy.models import DataExport, ErasureRequest
from reviews.models import Publication, PublicationRequest
from tests.support.clients import api_client_for, fresh_code, sign_in, with_totp
from tests.support.clips import SMALL
from tests.support.factories import PASSWORD, CohortFactory

LATER = timedelta(days=15)


def stored_names(artist) -> set[str]:
    """Every file of the artist's in storage: clips, posters, signed copies, attachments, exports."""
    names = set()
    for generation in Generation.objects.filter(artist=artist):
        names |= {f.name for f in (generation.video, generation.poster) if f}
    for publication in Publication.objects.filter(request__artist=artist):
        names |= {f.name for f in (publication.video, publication.poster) if f}
    for report in Report.objects.filter(reporter=artist):
        names |= {a.file.name for a in report.attachments.all()}
    names |= {e.file.name for e in DataExport.objects.filter(user=artist) if e.file}
    return names


def balances_replay(account: CreditAccount) -> bool:
    """The cached balances equal the replay of the ledger's entries."""
    available = reserved = 0
    for entry in LedgerEntry.objects.filter(account=account):
        d_available, d_reserved = EFFECT[entry.kind]
        available, reserved = available + d_available * entry.amount, reserved + d_reserved * entry.amount
    return (available, reserved) == (account.available, account.reserved)


def asked(client) -> dict:
    answer = client.post(
        "/api/v1/me/erasure/", {"password": PASSWORD, "confirmation": "erase my account"}, format="json"
    )
    assert answer.status_code == 202, answer.content
    return answer.json()


def test_after_the_grace_period_the_files_go_the_books_balance_and_what_is_kept_is_pseudonymous(
    seeded, django_capture_on_commit_callbacks
):
    artist, email = seeded.artist, seeded.artist.email
    generation_submit(artist=artist, cohort=seeded.cohort, prompt="queued when erased", **SMALL)  # credits reserved
    token_create(user=artist, name="laptop", scopes=["generations:read"])
    waiting = Invitation.objects.create(cohort=CohortFactory(), email=email.upper(), secret_hash="f" * 64)
    export = services.export_request(user=artist)
    services.export_build(export_id=export.pk)
    files = stored_names(artist)
    storage = Generation._meta.get_field("video").storage
    assert len(files) >= 7 and all(storage.exists(name) for name in files)
    ledger_rows, contributions = (
        LedgerEntry.objects.count(),
        ContributionEntry.objects.aggregate(money=Sum("amount_minor"), credits=Sum("credits")),
    )

    session = api_client_for(artist)  # signed in before the erasure
    published_id = Publication.objects.get(request__artist=artist).public_id
    body = asked(session)
    assert body["state"] == "pending"
    assert services.erasures_run_due() == 0  # the grace period first
    with django_capture_on_commit_callbacks(execute=True):
        assert services.erasures_run_due(now=timezone.now() + LATER) == 1

    assert not [name for name in files if storage.exists(name)]  # none of the artist's files is left
    # The books: every ledger row kept, the queued clip's credits released, the balances replay exactly.
    assert LedgerEntry.objects.filter(kind="release").exists() and LedgerEntry.objects.count() == ledger_rows + 1
    assert all(balances_replay(account) for account in CreditAccount.objects.filter(user=artist))
    assert CreditAccount.objects.get(user=artist, cohort=seeded.cohort).reserved == 0
    assert ContributionEntry.objects.aggregate(money=Sum("amount_minor"), credits=Sum("credits")) == contributions
    # Kept rows point to a pseudonymous account that cannot sign in.
    artist.refresh_from_db()
    erasure = ErasureRequest.objects.get()
    assert artist.display_name == f"Former member {erasure.pseudonym}" and email not in artist.email
    assert not artist.is_active and not artist.has_usable_password()
    assert not ApiToken.objects.filter(user=artist, revoked_at__isnull=True).exists()
    assert not ConsentRecord.objects.filter(user=artist).exists()
    waiting.refresh_from_db()
    assert waiting.revoked_at is not None and email.lower() not in waiting.email.lower()  # nobody can take it up
    assert not DataExport.objects.filter(user=artist).exists()
    assert set(Generation.objects.filter(artist=artist).values_list("prompt", flat=True)) == {""}
    assert not PublicationRequest.objects.filter(artist=artist, credit_line="Mo Maker").exists()
    assert not Publication.objects.filter(request__artist=artist, withdrawn_at__isnull=True).exists()
    mentions = AuditEvent.objects.filter(
        Q(data__icontains=email) | Q(target_repr__icontains=email) | Q(target_repr__icontains="Mo Maker")
    )
    assert not mentions.exists()
    about = AuditEvent.objects.filter(Q(actor=artist) | Q(subject_user=artist))
    assert about.exists() and not about.filter(ip__isnull=False).exists()
    assert AuditEvent.objects.filter(action="account.erased", subject_user=artist).exists()
    with pytest.raises(DatabaseError), transaction.atomic():  # the log is append-only again
        AuditEvent.objects.filter(subject_user=artist).update(action="tampered")

    # The old session is over, the published clip's link says why it is gone; sign-in fails; the shared
    # board still reads, under the pseudonym.
    assert session.get("/api/v1/me/").status_code in (401, 403)
    gone = Client().get(f"/gallery/{published_id}/")
    assert gone.status_code == 410 and b"its artist has left the program" in gone.content
    assert not Client().login(email=email, password=PASSWORD)
    refused = Client().post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert refused.status_code == 200  # the form again, not a redirect into the site
    report = Report.objects.get(reporter=artist)
    member = Client()
    sign_in(member, seeded.reviewer)
    page = member.get(f"/reports/{report.pk}/").content.decode()
    assert report.title in page and f"Former member {erasure.pseudonym}" in page and "Mo Maker" not in page
    assert ReportComment.objects.filter(author=artist).exists()
    assert services.erasures_run_due(now=timezone.now() + LATER) == 0  # once


def test_signing_in_during_the_grace_period_cancels_the_erasure(seeded):
    artist = seeded.artist
    page = Client()
    sign_in(page, artist)
    answer = page.post(
        "/account/data/erasure/", {"password": PASSWORD, "confirmation": "erase my account"}, follow=True
    )
    assert b"Your account will be erased on" in answer.content
    assert page.get("/account/data/").status_code == 302  # signed out at once
    assert ErasureRequest.objects.get().state == "pending"

    signed_in = Client().post("/accounts/login/", {"login": artist.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert ErasureRequest.objects.get().state == "cancelled"
    assert services.erasures_run_due(now=timezone.now() + LATER) == 0
    artist.refresh_from_db()
    assert artist.is_active and artist.display_name == "Mo Maker"


def test_asking_needs_the_password_the_second_factor_and_the_words(seeded):
    artist, admin = seeded.artist, seeded.admin
    client = api_client_for(artist)
    wrong = client.post("/api/v1/me/erasure/", {"password": "nope", "confirmation": "erase my account"}, format="json")
    assert wrong.status_code == 403 and "password" in wrong.json()["error"]["fields"]
    unsaid = client.post("/api/v1/me/erasure/", {"password": PASSWORD, "confirmation": "yes"}, format="json")
    assert unsaid.status_code == 400 and "confirmation" in unsaid.json()["error"]["fields"]
    assert client.get("/api/v1/me/erasure/").status_code == 404

    totp = with_totp(artist)
    no_code = client.post(
        "/api/v1/me/erasure/", {"password": PASSWORD, "confirmation": "erase my account"}, format="json"
    )
    assert no_code.status_code == 403 and "code" in no_code.json()["error"]["fields"]
    answer = client.post(
        "/api/v1/me/erasure/",
        {"password": PASSWORD, "confirmation": "erase my account", "code": fresh_code(totp)},
        format="json",
    )
    assert answer.status_code == 202
    assert (
        client.post(
            "/api/v1/me/erasure/",
            {"password": PASSWORD, "confirmation": "erase my account", "code": fresh_code(totp)},
            format="json",
        ).status_code
        == 409
    )
    assert client.delete("/api/v1/me/erasure/").json()["state"] == "cancelled"
    assert client.delete("/api/v1/me/erasure/").status_code == 404
    # Guessing the password is bounded: a few tries an hour.
    for _ in range(5):
        client.post("/api/v1/me/erasure/", {"password": "guess", "confirmation": "erase my account"}, format="json")
    limited = client.post(
        "/api/v1/me/erasure/", {"password": PASSWORD, "confirmation": "erase my account"}, format="json"
    )
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    # The page says what to fix, field by field.
    page = Client()
    sign_in(page, admin)
    shown = page.post("/account/data/erasure/", {"password": "nope", "confirmation": "erase my account"})
    assert shown.status_code == 400 and b"That is not your password." in shown.content  # the page: the form again


def test_staff_erase_a_verified_request_at_once(seeded, django_capture_on_commit_callbacks, capsys):
    artist = seeded.artist
    files = stored_names(artist)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_account", artist.email.upper(), "--now")
    assert "Erased" in capsys.readouterr().out
    storage = Generation._meta.get_field("video").storage
    assert not [name for name in files if storage.exists(name)]
    assert User.objects.get(pk=artist.pk).is_active is False
    assert AuditEvent.objects.filter(action="erasure.forced", subject_user=artist).exists()


def test_an_erased_member_is_kept_for_the_books_only(seeded, django_capture_on_commit_callbacks):
    """Nothing left names them (not even their requests' titles in the audit log), staff are offered no
    action on them, and a report they left open earns nothing more when it is confirmed (docs/privacy.md)."""
    from accounts import services as accounts
    from core.errors import ApplicationError
    from feedback import services as feedback
    from reviews import services as reviews
    from reviews.services import UNDO_WINDOW
    from tests.support.board import bug
    from tests.support.people import rendered

    artist = seeded.artist
    still_open = bug(seeded, title="Seeds repeat across batches")
    membership = artist.memberships.get(cohort=seeded.cohort)
    # A decision held in the undo window, undone, then decided again and released: staff's records of it
    # (review.held, review.undone) carry the request's title too.
    kingfisher = reviews.publication_request_create(
        artist=artist, generation=rendered(artist, seeded.cohort), title="Kingfisher"
    )
    reviews.review_claim(reviewer=seeded.reviewer, request=kingfisher)
    undone = reviews.review_decide(reviewer=seeded.reviewer, request=kingfisher, outcome="approve", hold=UNDO_WINDOW)
    reviews.review_decision_undo(reviewer=seeded.reviewer, decision=undone)
    reviews.review_decide(reviewer=seeded.reviewer, request=kingfisher, outcome="approve", hold=UNDO_WINDOW)
    reviews.review_decisions_release(now=timezone.now() + UNDO_WINDOW * 2)
    assert AuditEvent.objects.filter(action="review.held", target_repr__icontains="Kingfisher").exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.erasure_now(user=artist, actor=seeded.admin)
    artist.refresh_from_db()
    assert artist.is_erased

    titles = Q(target_repr__icontains="Heron") | Q(target_repr__icontains="Fox") | Q(target_repr__icontains="Kingf")
    assert AuditEvent.objects.filter(action__startswith="publication.").exists()
    assert not AuditEvent.objects.filter(titles).exists()  # request titles named the person's rows
    assert not AuditEvent.objects.filter(target_repr__icontains="Seeds repeat").exists()

    staff = Client()
    sign_in(staff, seeded.admin)
    page = staff.get(f"/staff/cohorts/{seeded.cohort.pk}/members/").content.decode()
    assert artist.display_name in page and "account erased at their request" in page
    assert f'name="membership" value="{membership.pk}"' not in page  # no Suspend / Reactivate offered
    for refused in (
        lambda: accounts.user_suspend(actor=seeded.admin, user=artist, reason="x"),
        lambda: accounts.user_reactivate(actor=seeded.admin, user=artist),
        lambda: accounts.membership_set_status(actor=seeded.admin, membership=membership, status="active"),
        lambda: accounts.membership_set_role(actor=seeded.admin, membership=membership, role="reviewer"),
    ):
        with pytest.raises(ApplicationError) as erased:
            refused()
        assert erased.value.code == "erased"

    feedback.report_triage(actor=seeded.reviewer, report=still_open, outcome="confirmed", reason="Real.")
    assert not ContributionEntry.objects.filter(report=still_open).exists()  # the award is held
    with pytest.raises(ApplicationError) as held:
        feedback.award_raise(actor=seeded.reviewer, report=still_open, amount_minor=500, credits=0, reason="More")
    assert held.value.code == "erased"
