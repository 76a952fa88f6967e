"""Reads for the studio, the API, the queue view and the metrics; query counts independent of rows."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Cohort, Membership, ProgramSwitches, User, active_members
from accounts.selectors import Notice, terms_pending_sql
from core.sql import column, table
from generations import ledger
from generations.models import (
    CreditAccount,
    Generation,
    LedgerEntry,
    QuotaOverride,
    QuotaPolicy,
    StaffAccess,
    StartImage,
)

# The queue's reads live in selectors/queue.py; callers keep naming them selectors.X.
from generations.selectors.queue import *  # noqa: F403
from generations.selectors.queue import with_queue_estimates

Status = Generation.Status


STUDIO_PAGE_SIZE = 24


def studio_clips(*, user: User, status: str | None = None, before: str | None = None) -> tuple[list, str | None]:
    """The artist's clips, newest first, a page at a time: (page with queue estimates, cursor of the next page).

    ``before`` is the public id of the last clip of the previous page; one that is not theirs starts over."""
    clips = generations_visible_to(user=user).select_related("retry_of").order_by("-id")
    if status:
        clips = clips.filter(status=status)
    if before:
        last = own_clip(user=user, public_id=before)
        if last is not None:
            clips = clips.filter(id__lt=last.pk)
    page = list(clips[: STUDIO_PAGE_SIZE + 1])
    more = len(page) > STUDIO_PAGE_SIZE
    page = page[:STUDIO_PAGE_SIZE]
    return with_queue_estimates(page), (str(page[-1].public_id) if more else None)


def low_credit_notices(*, accounts: list[CreditAccount], cost: int | None) -> list[Notice]:
    """A banner per account that cannot pay for the clip as set (or is nearly empty), saying when credits return."""
    notices = []
    for account in accounts:
        short = cost is not None and account.available < cost
        if short or account.available <= LOW_CREDITS:
            credits = f"{account.available} credit{'' if account.available == 1 else 's'}"
            when = timezone.localtime(account.period_ends_at).strftime("%-d %B, %H:%M")
            what = f"this clip costs {cost}" if short else "that is enough for a few short clips at most"
            notices.append(
                Notice(
                    "warning" if short else "info",
                    f"You have {credits} in {account.cohort.name}; {what}. "
                    f"Your next allowance comes on {when}; a shorter or smaller clip costs less.",
                )
            )
    return notices


LOW_CREDITS = 5


def own_clip(*, user: User, public_id: str) -> Generation | None:
    """The artist's own clip with this public id, or None (also for text that is not an id)."""
    try:
        return Generation.objects.filter(artist=user, deleted_at__isnull=True, public_id=public_id).first()
    except ValidationError:
        return None


def own_start_image(*, user: User, public_id) -> StartImage | None:
    """The artist's own start image with this public id, or None (also for text that is not an id)."""
    try:
        return StartImage.objects.filter(artist=user, public_id=public_id).first()
    except ValidationError:
        return None


def start_images_of(*, user: User) -> QuerySet[StartImage]:
    return StartImage.objects.filter(artist=user)


def clip_with_artist(*, generation_id: int) -> Generation | None:
    return Generation.objects.select_related("artist").filter(pk=generation_id).first()


def user_by_id(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def clips_listed(generations: QuerySet[Generation], *, status: str | None = None) -> QuerySet[Generation]:
    """A list of clips as the API shows them (what each retried, the start image), of one status or all."""
    generations = generations.select_related("retry_of", "start_image")
    return generations.filter(status=status) if status else generations


def quota_policy_of(*, cohort: Cohort) -> QuotaPolicy:
    """The cohort's quota policy, or an unsaved one with the defaults (the quota page's form starts there)."""
    return QuotaPolicy.objects.filter(cohort=cohort).first() or QuotaPolicy(cohort=cohort)


def overrides_of(*, cohort: Cohort) -> QuerySet[QuotaOverride]:
    return QuotaOverride.objects.filter(cohort=cohort).select_related("user").order_by("user__email")


def allowed_styles_by_cohort(*, user: User) -> dict[str, set[str]]:
    """{cohort slug: the style names its policy allows} for the artist's cohorts."""
    policies = QuotaPolicy.objects.filter(cohort__in=artist_cohorts(user=user))
    return {slug: set(names or []) for slug, names in policies.values_list("cohort__slug", "allowed_styles")}


def artist_cohort_named(*, user: User, slug: str | None) -> list[Cohort]:
    """The artist's cohorts with this slug (all of them without one): the candidates services.only_choice picks from."""
    cohorts = artist_cohorts(user=user)
    return list(cohorts.filter(slug=slug) if slug else cohorts)


def generations_visible_to(*, user: User, as_staff: bool = False) -> QuerySet[Generation]:
    """Everyone sees their own. With ``as_staff`` (the request may use staff powers: see
    accounts.permissions.staff_powers), reviewers also see their cohorts' and admins everyone's."""
    generations = Generation.objects.select_related("cohort", "artist", "start_image").filter(deleted_at__isnull=True)
    if not as_staff:
        return generations.filter(artist=user)
    if user.is_program_admin:
        return generations
    if user.is_program_staff:
        cohorts = Membership.objects.active_reviewers().filter(user=user).values("cohort")
        return generations.filter(Q(cohort__in=cohorts) | Q(artist=user))
    return generations.filter(artist=user)


def staff_access_to(*, generation: Generation, limit: int = 200) -> list[StaffAccess]:
    """Who of the staff opened the clip and when, newest first (for its artist)."""
    return list(generation.staff_accesses.select_related("viewer")[:limit])


def credit_balances(*, user: User, cohort: Cohort | None = None) -> list[CreditAccount]:
    """The artist's credits in each active cohort (or in ``cohort``), as their next submission finds them.

    A read: an account not opened yet shows its first allowance and one whose period has ended shows
    the top-up, unsaved (the writes happen when a membership becomes active, at the next submission
    and in the refill task). Two queries while every account is open and in its period."""
    cohorts = [cohort] if cohort else list(artist_cohorts(user=user))
    accounts = {account.cohort_id: account for account in CreditAccount.objects.filter(user=user, cohort__in=cohorts)}
    now = timezone.now()
    balances = []
    for each in cohorts:
        account = accounts.get(each.pk)
        if account is None or account.period_ends_at <= now:
            limits = limits_for(user=user, cohort=each)
            account = account or CreditAccount(user=user, cohort=each, period_started_at=now)
            account.available = max(account.available, limits.credits_per_period)
            account.period_ends_at = now + timedelta(days=limits.period_days)
        account.cohort = each  # the card names it; no query per account
        balances.append(account)
    return balances


def ledger_for(*, account: CreditAccount) -> QuerySet[LedgerEntry]:
    if account.pk is None:  # not opened yet (credit_balances)
        return LedgerEntry.objects.none()
    return account.entries.select_related("generation").order_by("-created_at", "-id")


# How each kind of entry moves the available balance, from the ledger's own table.
_AVAILABLE_DELTA = Case(
    *[When(kind=kind, then=F("amount") * sign) for kind, (sign, _) in ledger.EFFECT.items() if sign],
    default=Value(0),
    output_field=IntegerField(),
)


def ledger_with_balance(*, account: CreditAccount, limit: int = 100) -> list[LedgerEntry]:
    """The newest ``limit`` entries, each with ``available_after``: the available balance once it was
    written (a running sum over the account's whole ledger, computed by the database in one query)."""
    if account.pk is None:
        return []
    entries = account.entries.annotate(
        delta=_AVAILABLE_DELTA,
        available_after=Window(Sum(_AVAILABLE_DELTA), order_by=[F("created_at").asc(), F("id").asc()]),
    ).select_related("generation")
    return list(entries.order_by("-created_at", "-id")[:limit])


def credits_spent_per_day(*, account: CreditAccount, days: int = 30) -> tuple[list[str], list[float | None]]:
    """Credits charged for rendered clips on each of the last ``days`` days, oldest first."""
    first_day = timezone.localdate() - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    if account.pk is None:
        return [(first_day + timedelta(days=i)).strftime("%b %-d") for i in range(days)], [0.0] * days
    spent = dict(
        account.entries.filter(kind="charge", created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    return [day.strftime("%b %-d") for day in day_list], [float(spent.get(day, 0)) for day in day_list]


def artists_of(*, cohort: Cohort) -> QuerySet:
    """The ids of the cohort's active artists."""
    return Membership.objects.active_artists().filter(cohort=cohort).values("user_id")


def artist_cohorts(*, user: User) -> QuerySet[Cohort]:
    active = active_members(role=Membership.Role.ARTIST, via="memberships")
    return Cohort.objects.filter(active, memberships__user=user).order_by("name")


@dataclass(frozen=True)
class Limits:
    """A cohort's quota policy with one artist's overrides applied."""

    credits_per_period: int
    period_days: int
    max_running: int
    max_queued: int
    weight: float


def limits_for(*, user: User, cohort: Cohort) -> Limits:
    """The cohort's policy with the artist's overrides applied (one query)."""
    policy = (
        QuotaPolicy.objects.filter(cohort=cohort)
        .annotate(
            override_credits=Subquery(_override(user, cohort).values("credits_per_period")[:1]),
            override_running=Subquery(_override(user, cohort).values("max_running_per_artist")[:1]),
            override_queued=Subquery(_override(user, cohort).values("max_queued_per_artist")[:1]),
        )
        .first()
    )
    if policy is not None:
        return limits_with_overrides(policy, policy.override_credits, policy.override_running, policy.override_queued)
    override = _override(user, cohort).first()  # no policy yet: the defaults, still with the artist's overrides
    return limits_with_overrides(
        QuotaPolicy(cohort=cohort),
        override and override.credits_per_period,
        override and override.max_running_per_artist,
        override and override.max_queued_per_artist,
    )


def limits_with_overrides(policy: QuotaPolicy, credits: int | None, running: int | None, queued: int | None) -> Limits:
    """``policy`` with the artist's overrides (None keeps the policy's value)."""

    def pick(override, default):
        return override if override is not None else default

    return Limits(
        credits_per_period=pick(credits, policy.credits_per_period),
        period_days=policy.period_days,
        max_running=pick(running, policy.max_running_per_artist),
        max_queued=pick(queued, policy.max_queued_per_artist),
        weight=policy.weight,
    )


def _override(user: User, cohort: Cohort):
    return QuotaOverride.objects.filter(user=user, cohort=cohort)


@dataclass(frozen=True)
class SubmissionGate:
    """What a submission to one of the artist's cohorts checks, as read by submission_gates()."""

    cohort: Cohort  # id, name, slug and status loaded; other fields load on access
    membership_active: bool
    limits: Limits
    account_pk: int | None  # None until the artist's first submission in the cohort
    terms_pending: bool  # the cohort has terms and the artist has not accepted the newest
    paused: bool
    paused_reason: str
    existing_pk: int | None  # the generation this artist already made with the idempotency key


# Every check a submission makes, in one statement: the API's busiest write reads this once
# (bench/api_submit.py measures it). Plain SQL because the ORM spends three times as long
# building and compiling these joins as the database spends running them. Portable SQL
# (PostgreSQL and SQLite); table and column names come from the models, and the row is read by
# the names it gives its columns; tests/generations/test_submit.py covers each column.


@functools.cache
def _gates_sql() -> str:
    policy = ", ".join(f"p.{column(QuotaPolicy, f)} AS policy_{f}" for f in QuotaPolicy.LIMIT_FIELDS)
    override = ", ".join(f"o.{column(QuotaOverride, f)} AS override_{f}" for f in QuotaOverride.LIMIT_FIELDS)
    # Short names for the tables, as the statement's aliases (m, c, p, o, a, g, s).
    M, C, P, OV, A = Membership, Cohort, QuotaPolicy, QuotaOverride, CreditAccount
    G, S = Generation, ProgramSwitches
    # Names from the models' metadata, values as parameters: nothing a person sent is in the text.
    return f"""
SELECT m.{column(M, "status")} AS membership_status, c.{column(C, "id")} AS cohort_id,
       c.{column(C, "name")} AS cohort_name, c.{column(C, "slug")} AS cohort_slug,
       c.{column(C, "status")} AS cohort_status,
       p.{column(P, "id")} AS policy_id, {policy}, {override},
       a.{column(A, "id")} AS account_id,
       {terms_pending_sql(user_column=f"m.{column(M, 'user')}", cohort_column=f"c.{column(C, 'id')}")} AS terms_pending,
       s.{column(S, "generation_paused")} AS paused, s.{column(S, "generation_paused_reason")} AS paused_reason,
       (SELECT g.{column(G, "id")} FROM {table(G)} g
        WHERE g.{column(G, "artist")} = m.{column(M, "user")} AND g.{column(G, "idempotency_key")} = %s) AS existing_id
FROM {table(M)} m
JOIN {table(C)} c ON c.{column(C, "id")} = m.{column(M, "cohort")}
LEFT JOIN {table(P)} p ON p.{column(P, "cohort")} = c.{column(C, "id")}
LEFT JOIN {table(OV)} o
       ON o.{column(OV, "cohort")} = c.{column(C, "id")} AND o.{column(OV, "user")} = m.{column(M, "user")}
LEFT JOIN {table(A)} a
       ON a.{column(A, "cohort")} = c.{column(C, "id")} AND a.{column(A, "user")} = m.{column(M, "user")}
LEFT JOIN {table(S)} s ON s.{column(S, "id")} = 1
WHERE m.{column(M, "user")} = %s AND m.{column(M, "role")} = %s AND {{which}}
ORDER BY c.{column(C, "name")}
"""  # noqa: S608


def submission_gates(
    *, artist: User, cohort: Cohort | None = None, cohort_slug: str | None = None, idempotency_key: str | None = None
) -> list[SubmissionGate]:
    """The cohorts a submission could go to, each with everything the submission checks, in one query.

    ``cohort`` picks it whatever the membership's status (the submission says why it cannot use
    it); ``cohort_slug``, or neither, picks among the artist's active memberships.
    """
    status = f"m.{column(Membership, 'status')}"
    if cohort is not None:
        which, params = f"m.{column(Membership, 'cohort')} = %s", [cohort.pk]
    elif cohort_slug:
        which, params = f"{status} = %s AND c.{column(Cohort, 'slug')} = %s", [Membership.Status.ACTIVE, cohort_slug]
    else:
        which, params = f"{status} = %s", [Membership.Status.ACTIVE]
    with connection.cursor() as cursor:
        cursor.execute(_gates_sql().format(which=which), [idempotency_key, artist.pk, Membership.Role.ARTIST, *params])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    gates = []
    for row in rows:
        policy = QuotaPolicy()
        if row["policy_id"]:
            policy = QuotaPolicy(**{f: row[f"policy_{f}"] for f in QuotaPolicy.LIMIT_FIELDS})
        cohort_values = [row["cohort_id"], row["cohort_name"], row["cohort_slug"], row["cohort_status"]]
        gates.append(
            SubmissionGate(
                cohort=Cohort.from_db(connection.alias, ["id", "name", "slug", "status"], cohort_values),
                membership_active=row["membership_status"] == Membership.Status.ACTIVE,
                limits=limits_with_overrides(policy, *(row[f"override_{f}"] for f in QuotaOverride.LIMIT_FIELDS)),
                account_pk=row["account_id"],
                terms_pending=bool(row["terms_pending"]),
                paused=bool(row["paused"]),
                paused_reason=row["paused_reason"] or "",
                existing_pk=row["existing_id"],
            )
        )
    return gates
