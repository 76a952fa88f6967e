"""Reads for the studio, the API, the queue view and the metrics; query counts independent of rows."""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Cohort, Membership, ProgramSwitches, User, active_members
from accounts.selectors import Notice, terms_pending_sql
from core.sql import column, table
from generations import ledger
from generations.models import CreditAccount, Generation, LedgerEntry, QuotaOverride, QuotaPolicy, StaffAccess

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


def _queued_unblocked() -> QuerySet[Generation]:
    """Queued generations nothing holds back but, perhaps, their artist's running cap: an active cohort, an
    active membership, an account not suspended."""
    active_member = Membership.objects.active().filter(user=OuterRef("artist"), cohort=OuterRef("cohort"))
    return Generation.objects.filter(
        status=Status.QUEUED, cohort__status=Cohort.Status.ACTIVE, artist__suspended_at__isnull=True
    ).filter(Exists(active_member))


def artists_with_paid_waiting(*, artist_ids: set[int]) -> set[int]:
    """Which of these artists have a paid clip queued that only their running cap holds back (their own
    relaxed clip on a GPU, say): that relaxed clip gives way (generations/lanes.py)."""
    if not artist_ids:
        return set()
    waiting = _queued_unblocked().filter(lane=Generation.Lane.PAID, artist_id__in=artist_ids)
    return set(waiting.values_list("artist_id", flat=True).distinct())


def fair_share_queue() -> QuerySet[Generation]:
    """Queued generations that may run now, best claim first."""
    since = timezone.now() - timedelta(hours=24)
    used_24h = (
        Generation.objects.filter(artist=OuterRef("artist"), finished_at__gte=since)
        .order_by()
        .values("artist")
        .annotate(total=Sum("gpu_seconds"))
        .values("total")[:1]
    )
    running = (
        Generation.objects.filter(artist=OuterRef("artist"), status=Status.RUNNING)
        .order_by()
        .values("artist")
        .annotate(count=Count("id"))
        .values("count")[:1]
    )
    override_cap = QuotaOverride.objects.filter(user=OuterRef("artist"), cohort=OuterRef("cohort")).values(
        "max_running_per_artist"
    )[:1]
    return (
        _queued_unblocked()
        .annotate(
            used=Coalesce(Subquery(used_24h, output_field=FloatField()), Value(0.0)),
            running_now=Coalesce(Subquery(running, output_field=IntegerField()), Value(0)),
            # The effective policy, as limits_with_overrides() computes it: the override, else the
            # cohort's policy, else the policy's defaults.
            running_cap=Coalesce(
                Subquery(override_cap, output_field=IntegerField()),
                F("cohort__quota_policy__max_running_per_artist"),
                Value(policy_default("max_running_per_artist")),
                output_field=IntegerField(),
            ),
            weight=Coalesce(
                F("cohort__quota_policy__weight"), Value(float(policy_default("weight"))), output_field=FloatField()
            ),
        )
        .filter(running_now__lt=F("running_cap"))
        .annotate(share=ExpressionWrapper(F("used") / F("weight"), output_field=FloatField()))
        # Every runnable paid clip before any relaxed one (generations/lanes.py); fair share inside each.
        .order_by(Case(When(lane=Generation.Lane.RELAXED, then=1), default=0), "share", "queued_at", "id")
    )


def queue_positions() -> dict[int, int]:
    """Each queued generation's place in the fair-share order (1 = next)."""
    return {pk: index for index, pk in enumerate(fair_share_queue().values_list("pk", flat=True), start=1)}


def queue_position(*, generation: Generation) -> int | None:
    """One generation's place in the fair-share order, counted by the database (no rows fetched).

    The studio polls each queued row every second, so this must not read the whole queue.
    """
    queue = fair_share_queue()
    mine = queue.filter(pk=generation.pk).values("share", "queued_at").first()
    if mine is None:
        return None  # not claimable now (paused, at the running cap) or no longer queued
    share, queued_at = mine["share"], mine["queued_at"]
    ahead = queue.filter(
        Q(share__lt=share)
        | Q(share=share, queued_at__lt=queued_at)
        | Q(share=share, queued_at=queued_at, pk__lt=generation.pk)
    ).count()
    return ahead + 1


def recent_seconds_per_job(*, sample: int = 50) -> float:
    """A clip's whole time on a worker (load, denoise, decode, encode, store), the median of recent ones."""
    recent = Generation.objects.filter(status=Status.SUCCEEDED, started_at__isnull=False).order_by("-finished_at")
    spans = [(end - start).total_seconds() for start, end in recent.values_list("started_at", "finished_at")[:sample]]
    return statistics.median(spans) if spans else 5.0


PROGRESS_PHASES = ("denoise", "decode", "encode", "store")  # in order; store: to storage and recorded
DEFAULT_PHASE_SHARES = {"denoise": 0.5, "decode": 0.35, "encode": 0.05, "store": 0.1}


def phase_shares(*, preset: str, sample: int = 20) -> dict[str, float]:
    """Each phase's expected share of a clip's time with ``preset``, from its recent clips (the defaults
    until it has some): what a progress bar that counts every phase weighs them by."""
    recent = Generation.objects.filter(preset=preset, status=Status.SUCCEEDED).exclude(phase_ms={})
    rows = list(recent.order_by("-finished_at").values_list("phase_ms", flat=True)[:sample])
    if not rows:
        return dict(DEFAULT_PHASE_SHARES)
    spent = {phase: statistics.median(row.get(phase, 0) for row in rows) for phase in ("denoise", "decode", "encode")}
    spent["store"] = statistics.median(row.get("store", 0) + row.get("settle", 0) for row in rows)
    total = sum(spent.values()) or 1.0
    return {phase: max(spent[phase] / total, 0.01) for phase in PROGRESS_PHASES}


def with_queue_estimates(generations: list[Generation]) -> list[Generation]:
    """Adds ``queue_position`` and ``estimated_start`` to queued generations (one queue read for the page)."""
    if not any(g.status == Status.QUEUED for g in generations):
        return generations
    return _estimate(generations, queue_positions())


def with_queue_estimate(generation: Generation) -> Generation:
    """The same for one generation (a detail view, a polled row): counted in the database, no queue read."""
    if generation.status != Status.QUEUED:
        return generation
    return _estimate([generation], {generation.pk: queue_position(generation=generation)})[0]


def _estimate(generations: list[Generation], positions: dict[int, int | None]) -> list[Generation]:
    per_job = recent_seconds_per_job()
    now = timezone.now()
    for generation in generations:
        position = positions.get(generation.pk)
        generation.queue_position = position
        generation.estimated_start = now + timedelta(seconds=per_job * (position - 1)) if position else None
    return generations


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
    return account.entries.order_by("-created_at", "-id")


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


def policy_default(name: str):
    """A quota policy's value when the cohort has none (the model's default: one place for it)."""
    return QuotaPolicy._meta.get_field(name).default


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
