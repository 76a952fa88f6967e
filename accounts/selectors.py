"""Reads shaped for their page or endpoint; query counts do not grow with rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    ApiToken,
    AuditEvent,
    Cohort,
    ConsentRecord,
    Invitation,
    Membership,
    Notification,
    ProgramSwitches,
    TermsAcceptance,
    TermsVersion,
    User,
    active_members,
)
from accounts.tokens import hash_secret
from core.sql import column, table

CONSENT_DEFAULTS = {
    ConsentRecord.Kind.TRAINING_USE: False,  # off unless the artist says yes
    ConsentRecord.Kind.CREDIT_NAME: "",
    ConsentRecord.Kind.CONTACT: False,
}


def consents_current(*, user: User) -> dict:
    """The consent in force for each kind: the newest record, or the default."""
    current = dict(CONSENT_DEFAULTS)
    seen = set()
    for kind, value in user.consents.order_by("-recorded_at", "-id").values_list("kind", "value"):
        if kind not in seen:
            seen.add(kind)
            current[kind] = value
    return {str(kind): value for kind, value in current.items()}


def consent_history(*, user: User) -> QuerySet[ConsentRecord]:
    return user.consents.order_by("-recorded_at", "-id")


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return user.memberships.select_related("cohort").order_by("cohort__name")


def terms_pending_for(*, user: User) -> list[TermsVersion]:
    """The newest terms of each active artist membership that ``user`` has not accepted yet."""
    latest = TermsVersion.objects.filter(cohort=OuterRef("cohort")).order_by("-version").values("pk")[:1]
    newest_ids = (
        Membership.objects.active_artists()
        .filter(user=user)
        .annotate(terms_id=Subquery(latest))
        .exclude(terms_id=None)
        .values_list("terms_id", flat=True)
    )
    accepted = TermsAcceptance.objects.filter(user=user).values("terms_id")
    return list(TermsVersion.objects.filter(pk__in=list(newest_ids)).exclude(pk__in=accepted).select_related("cohort"))


def terms_accepted_by(*, user: User) -> list[TermsAcceptance]:
    """Every version of the terms ``user`` accepted, newest first, to read again."""
    return list(
        TermsAcceptance.objects.filter(user=user).select_related("terms__cohort").order_by("-accepted_at", "-pk")
    )


def terms_pending_sql(*, user_column: str, cohort_column: str) -> str:
    """terms_pending_for()'s rule as a SQL condition, for statements that read it beside other checks
    (the submission's): the cohort has terms, and the person has not accepted the newest version."""
    terms, accepted = table(TermsVersion), table(TermsAcceptance)
    cohort, version = column(TermsVersion, "cohort"), column(TermsVersion, "version")
    # Names from the models' metadata only; the columns passed in are the caller's, never input.
    return (
        f"EXISTS (SELECT 1 FROM {terms} t WHERE t.{cohort} = {cohort_column}"  # noqa: S608
        f" AND t.{version} = (SELECT MAX(v.{version}) FROM {terms} v WHERE v.{cohort} = {cohort_column})"
        f" AND NOT EXISTS (SELECT 1 FROM {accepted} ta"
        f" WHERE ta.{column(TermsAcceptance, 'terms')} = t.{column(TermsVersion, 'id')}"
        f" AND ta.{column(TermsAcceptance, 'user')} = {user_column}))"
    )


def tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def cohorts_for_admin() -> QuerySet[Cohort]:
    now = timezone.now()
    return Cohort.objects.annotate(
        active_artists=Count(
            "memberships", filter=active_members(role=Membership.Role.ARTIST, via="memberships"), distinct=True
        ),
        open_invitations=Count(
            "invitations",
            filter=Q(invitations__accepted_at=None, invitations__revoked_at=None, invitations__expires_at__gt=now),
            distinct=True,
        ),
    ).order_by("name")


def members_of(*, cohort: Cohort, email_contains: str = "") -> QuerySet[Membership]:
    members = cohort.memberships.select_related("user", "status_set_by").order_by("role", "user__email")
    return members.filter(user__email__icontains=email_contains) if email_contains else members


def memberships_in(*, cohort_id: int, pks: list[int] | None = None) -> QuerySet[Membership]:
    """A cohort's memberships with their people (those of ``pks`` only, when given)."""
    memberships = Membership.objects.select_related("user").filter(cohort_id=cohort_id)
    return memberships.filter(pk__in=pks) if pks is not None else memberships


def is_active_member(*, user: User, cohort: Cohort) -> bool:
    return user.is_authenticated and Membership.objects.active().filter(user=user, cohort=cohort).exists()


def invitations_with_cohort() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("cohort")


def tokens_with_owner() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user")


def account_exists(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def invitations_of(*, cohort: Cohort) -> QuerySet[Invitation]:
    return cohort.invitations.select_related("invited_by", "accepted_by").order_by("-created_at")


def invitation_by_secret(*, secret: str) -> Invitation | None:
    return Invitation.objects.select_related("cohort").filter(secret_hash=hash_secret(secret)).first()


def audit_events(
    *,
    actor: str = "",
    cohort_id: int | None = None,
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor", "cohort", "subject_user")
    if actor:
        events = events.filter(actor__email__icontains=actor)
    if cohort_id:
        events = events.filter(cohort_id=cohort_id)
    if action:
        events = events.filter(action__startswith=action)
    if date_from:
        events = events.filter(created_at__date__gte=date_from)
    if date_to:
        events = events.filter(created_at__date__lte=date_to)
    return events.order_by("-created_at", "-id")


def audit_events_about(*, user: User) -> QuerySet[AuditEvent]:
    """What the audit log says about this person's own account."""
    return (
        AuditEvent.objects.filter(Q(subject_user=user) | Q(actor=user))
        .select_related("actor", "cohort")
        .order_by("-created_at", "-id")
    )


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return user.notifications.order_by("-created_at", "-id")


def unread_notification_count(*, user: User) -> int:
    return user.notifications.filter(read_at=None).count()


def cohorts_for_home(*, user: User) -> QuerySet[Membership]:
    """The person's memberships, with their cohorts, for the home page."""
    return memberships_of(user=user).exclude(status=Membership.Status.REMOVED)


def program_switches() -> ProgramSwitches:
    """The switches as they stand: the saved row, or the defaults (generation running) before anyone set them.

    Reading never writes; generation_pause_set() creates the row.
    """
    return ProgramSwitches.objects.filter(pk=1).first() or ProgramSwitches(pk=1)


def pause_would_change(switches: ProgramSwitches, *, paused: bool, reason: str) -> bool:
    """Whether setting the global pause to these values changes anything (a paused switch's reason counts)."""
    return paused != switches.generation_paused or (paused and reason.strip() != switches.generation_paused_reason)


@dataclass(frozen=True)
class Notice:
    """A block explained before it bites: what holds the person back, and the way out if there is one."""

    level: str  # "warning" or "info"
    text: str
    link: str = ""
    link_text: str = ""


def access_notices_for(*, user: User, return_to: str) -> list[Notice]:
    """What would refuse this artist's next submission, said before they try: the global pause, a paused
    or closed cohort, a suspended membership, terms waiting for acceptance (accepting returns to ``return_to``)."""
    notices = []
    switches = program_switches()
    if switches.generation_paused:
        notices.append(Notice("warning", f"Generation is paused for everyone: {switches.generation_paused_reason}"))
    memberships = (
        memberships_of(user=user).filter(role=Membership.Role.ARTIST).exclude(status=Membership.Status.REMOVED)
    )
    for membership in memberships:
        cohort = membership.cohort
        if membership.status == Membership.Status.SUSPENDED:
            reason = f": {membership.status_reason}" if membership.status_reason else "."
            notices.append(Notice("warning", f"Your membership of {cohort.name} is suspended{reason}"))
        elif cohort.status != Cohort.Status.ACTIVE:
            notices.append(Notice("warning", f"{cohort.name} is {cohort.get_status_display().lower()} for now."))
    for terms in terms_pending_for(user=user):
        notices.append(
            Notice(
                "info",
                f"Accept the terms of {terms.cohort.name} (version {terms.version}) before your next clip.",
                link=reverse("terms") + "?" + urlencode({"next": return_to}),
                link_text="Read and accept",
            )
        )
    return notices
