"""Every write about generations and credits: submit, cancel, retry, delete, refill.

Side effects (the Celery wake-up message) happen only after commit.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiToken, Cohort, User
from accounts.services import audit_record
from core.errors import ApplicationError
from generations import dispatch, ledger, pricing, prompts, selectors, webhooks
from generations.models import CreditAccount, Generation, PromptRule, QuotaOverride, QuotaPolicy
from generations.permissions import check_artist_of
from generations.staff_access import staff_access_record, staff_access_record_list  # noqa: F401  (services API)


def account_for(*, user: User, cohort: Cohort) -> CreditAccount:
    """The artist's credit account in the cohort, opened (with its first period's credits) on first use."""
    account = CreditAccount.objects.filter(user=user, cohort=cohort).first()
    if account is None:
        try:
            with transaction.atomic():
                account = CreditAccount.objects.create(user=user, cohort=cohort)
        except IntegrityError:
            account = CreditAccount.objects.get(user=user, cohort=cohort)
    return credits_refill(account=account)


def credit_accounts_for(*, user: User) -> list[CreditAccount]:
    """The artist's account in each of their active cohorts, for the studio's credits card (polled).

    Two queries while every account is open and in its period; only an account that must be
    opened or refilled is written, through account_for().
    """
    cohorts = list(selectors.artist_cohorts(user=user))
    accounts = {account.cohort_id: account for account in CreditAccount.objects.filter(user=user, cohort__in=cohorts)}
    now = timezone.now()
    current = []
    for cohort in cohorts:
        account = accounts.get(cohort.pk)
        if account is None or account.period_ends_at <= now:
            account = account_for(user=user, cohort=cohort)
        account.cohort = cohort  # the card names it; no query per account
        current.append(account)
    return current


@transaction.atomic
def credits_adjust_by_staff(
    *, actor: User | None, user: User, cohort: Cohort, amount: int, note: str, key: str | None = None
) -> CreditAccount:
    """Add (or take away) credits with a note the artist sees in their ledger; audited. Once per ``key``:
    the same key again changes nothing (and records nothing). Nobody adjusts their own credits; an
    adjustment moves credits and says why."""
    if actor is not None and actor.pk == user.pk:
        raise ApplicationError(
            "own_account", "These are your own credits: another staff member grants them.", status=403
        )
    if amount == 0:
        raise ApplicationError("invalid", "Grant a number of credits other than zero.", fields={"amount": "zero"})
    note = note.strip()
    if not note:
        raise ApplicationError("invalid", "Say why, in a note the artist will read.", fields={"note": "required"})
    account = account_for(user=user, cohort=cohort)
    key = key or f"adjust:{account.pk}:{note}:{amount}"
    before = account.entries.filter(key=key).exists()
    account = ledger.credits_adjust(account=account, amount=amount, key=key, note=note)
    if not before:
        audit_record(
            action="credits.adjusted", actor=actor, target=account, subject_user=user, cohort=cohort,
            data={"amount": amount, "note": note, "key": key},
        )  # fmt: skip
    return account


@transaction.atomic
def quota_policy_save(*, actor: User, cohort: Cohort, ip: str | None = None, **values) -> QuotaPolicy:
    """Set the cohort's quota policy (creating it on first use); audited with what changed."""
    policy, _ = QuotaPolicy.objects.select_for_update().get_or_create(cohort=cohort)
    changed = {name: [getattr(policy, name), value] for name, value in values.items() if getattr(policy, name) != value}
    for name in QuotaPolicy.LIMIT_FIELDS:
        setattr(policy, name, values.get(name, getattr(policy, name)))
    policy.full_clean()
    policy.save()
    if changed:
        audit_record(action="quota.policy_changed", actor=actor, target=cohort, cohort=cohort, data=changed, ip=ip)
    return policy


def _refuse_own_quota(*, actor: User, user: User) -> None:
    if actor.pk == user.pk:
        raise ApplicationError(
            "own_account", "These are your own limits: another staff member sets them.", status=403,
            fields={"artist": "yourself"},
        )  # fmt: skip


def _active_artist(*, cohort: Cohort, user: User) -> None:
    if not selectors.artist_cohorts(user=user).filter(pk=cohort.pk).exists():
        raise ApplicationError(
            "invalid", f"{user.email} is not an active artist of {cohort.name}.", fields={"artist": "not a member"}
        )


@transaction.atomic
def quota_override_set(*, actor: User, cohort: Cohort, user: User, ip: str | None = None, **values) -> QuotaOverride:
    """One artist's exceptions to the cohort's policy (None keeps the cohort's value), never one's own
    (the database holds that too); audited."""
    _refuse_own_quota(actor=actor, user=user)
    _active_artist(cohort=cohort, user=user)
    override, _ = QuotaOverride.objects.select_for_update().get_or_create(user=user, cohort=cohort)
    for name in QuotaOverride.LIMIT_FIELDS:
        setattr(override, name, values.get(name))
    override.set_by = actor
    override.save()
    audit_record(
        action="quota.override_set", actor=actor, target=cohort, subject_user=user, cohort=cohort, ip=ip,
        data={name: values.get(name) for name in QuotaOverride.LIMIT_FIELDS},
    )  # fmt: skip
    return override


@transaction.atomic
def quota_override_remove(*, actor: User, override: QuotaOverride, ip: str | None = None) -> None:
    _refuse_own_quota(actor=actor, user=override.user)
    audit_record(
        action="quota.override_removed", actor=actor, target=override.cohort, subject_user=override.user,
        cohort=override.cohort, ip=ip,
    )  # fmt: skip
    override.delete()


def credits_grant_by_staff(
    *, actor: User, cohort: Cohort, user: User, amount: int, note: str, key: str, ip: str | None = None
) -> CreditAccount:
    """A staff grant (or, negative, a take-back) to an active artist of ``cohort``; once per ``key``."""
    _active_artist(cohort=cohort, user=user)
    return credits_adjust_by_staff(actor=actor, user=user, cohort=cohort, amount=amount, note=note, key=key)


def credits_refill(*, account: CreditAccount) -> CreditAccount:
    """When a period has ended, start the next and top the account up to its allowance.

    Once per period: the period's end is checked under the account's row lock,
    and the grant's key names the period.
    """
    now = timezone.now()
    if account.period_ends_at > now:
        return account
    with transaction.atomic():
        locked = CreditAccount.objects.select_for_update().get(pk=account.pk)
        if locked.period_ends_at > now:
            return locked
        limits = selectors.limits_for(user=locked.user, cohort=locked.cohort)
        locked.period_started_at, locked.period_ends_at = now, now + timedelta(days=limits.period_days)
        locked.save(update_fields=["period_started_at", "period_ends_at"])
        top_up = max(0, limits.credits_per_period - locked.available)
        if top_up:
            locked = ledger.credits_grant(
                account=locked,
                amount=top_up,
                key=f"refill:{locked.pk}:{now.isoformat()}",
                note=f"allowance for the period ending {locked.period_ends_at:%Y-%m-%d}",
            )
        return locked


# --- Prompts ------------------------------------------------------------------------------------------


def check_prompt(*, prompt: str, cohort: Cohort, field: str = "prompt") -> str:
    """The prompt, trimmed, if it may be rendered; otherwise the refusal that says why.

    Blocked terms and patterns are matched in prompts.matching_form, so look-alike letters,
    invisible characters and odd spaces do not get a blocked term past its rule."""
    if prompts.has_control_characters(prompt):  # before trimming: NEL (U+0085) counts as whitespace
        raise ApplicationError(
            "invalid", "Remove control characters from the prompt.", fields={field: "control characters"}
        )
    sent_length = len(prompt)  # the API's schema states the length as sent
    prompt = unicodedata.normalize("NFC", prompt).strip()
    length = max(sent_length, len(prompt)) if prompt else 0
    if not 1 <= length <= settings.GENERATION_PROMPT_MAX_LENGTH:
        raise ApplicationError("invalid", "Prompts are 1 to 2,000 characters.", fields={field: f"{length} characters"})
    skeleton = prompts.skeleton(prompt)
    forms = (prompt, prompts.matching_form(prompt), skeleton)  # as typed, normalised, look-alikes folded
    for rule in PromptRule.objects.filter(cohort__isnull=True) | PromptRule.objects.filter(cohort=cohort):
        if rule.is_regex:
            hit = any(re.search(rule.pattern, form, re.IGNORECASE) for form in forms)
        else:
            hit = prompts.contains_term(skeleton, rule.pattern)
        if hit:
            raise ApplicationError(
                "prompt_rejected", f"This prompt is not allowed: {rule.reason}.",
                fields={field: rule.reason}, extra={"rule": rule.pk},
            )  # fmt: skip
    return prompt


# --- Submission ---------------------------------------------------------------------------------------


def only_choice(candidates: list, *, cohort_slug: str | None):
    """The one of ``candidates`` (the artist's active cohorts, or their submission gates) to use:
    they match ``cohort_slug`` when one was given; raises why when there is not exactly one."""
    if len(candidates) == 1:
        return candidates[0]
    if cohort_slug:  # a 404, as for anything else that is not yours to see
        raise ApplicationError(
            "not_found", "You are not an active artist in that cohort.", fields={"cohort": "not yours"}, status=404
        )
    if not candidates:
        raise ApplicationError("membership_inactive", "You are not an active artist in any cohort.", status=403)
    raise ApplicationError("invalid", "You are in several cohorts; say which.", fields={"cohort": "required"})


def _submission_gate(
    gates: list[selectors.SubmissionGate], *, cohort: Cohort | None, cohort_slug: str | None
) -> selectors.SubmissionGate:
    """The gate of selectors.submission_gates() a submission goes through, or why there is none."""
    gate = only_choice(gates, cohort_slug=cohort_slug) if cohort is None else (gates[0] if gates else None)
    if gate is None or not gate.membership_active:
        raise ApplicationError("membership_inactive", "You are not an active artist in this cohort.", status=403)
    if gate.paused:
        raise ApplicationError("generation_paused", f"Generation is paused: {gate.paused_reason}", status=409)
    if gate.cohort.status != Cohort.Status.ACTIVE:
        raise ApplicationError("cohort_inactive", f"{gate.cohort.name} is {gate.cohort.status}.", status=409)
    if gate.terms_pending:
        raise ApplicationError(
            "terms_not_accepted", f"Accept the current terms of {gate.cohort.name} first.", status=403
        )
    return gate


def quote(
    *, preset: str, duration_s: float, resolution: int, aspect_ratio: str, fps: int | None = None
) -> tuple[pricing.RenderPlan, int]:
    render = pricing.plan(
        preset_name=preset, duration_s=duration_s, resolution=resolution, aspect_ratio=aspect_ratio, fps=fps
    )
    return render, pricing.price(render)


def generation_submit(
    *,
    artist: User,
    cohort: Cohort | None = None,
    cohort_slug: str | None = None,
    prompt: str,
    negative_prompt: str = "",
    duration_s: float,
    resolution: int,
    aspect_ratio: str,
    fps: int | None = None,
    seed: int | None = None,
    preset: str = "tiny",
    idempotency_key: str | None = None,
    retry_of: Generation | None = None,
    callback_url: str = "",
    callback_token: ApiToken | None = None,
) -> tuple[Generation, bool]:
    """Validate, price, reserve credits and queue a generation; returns it and whether it is new.

    The generation goes to ``cohort``, or the artist's active cohort with ``cohort_slug``, or the
    artist's only active cohort. With an ``idempotency_key`` already used by this artist, the first
    generation is returned and nothing else happens. The wake-up message goes out on commit. With a
    ``callback_url``, the job's terminal state is POSTed there, signed with ``callback_token``'s
    webhook secret (generations.webhooks).

    This is the API's busiest write, so it reads what it checks in one query and reserves in one
    short transaction: lock the account (counting the queue), insert the job and the ledger entry.
    """
    if idempotency_key and len(idempotency_key) > 200:
        raise ApplicationError(
            "invalid", "Idempotency-Key is at most 200 characters.", fields={"Idempotency-Key": "too long"}
        )
    fingerprint = _request_fingerprint(
        cohort=cohort.pk if cohort else cohort_slug, prompt=prompt, negative_prompt=negative_prompt,
        duration_s=duration_s, resolution=resolution, aspect_ratio=aspect_ratio, fps=fps, seed=seed, preset=preset,
        retry_of=retry_of.pk if retry_of else None, callback_url=callback_url,
    )  # fmt: skip
    gates = selectors.submission_gates(
        artist=artist, cohort=cohort, cohort_slug=cohort_slug, idempotency_key=idempotency_key
    )
    if idempotency_key and gates and gates[0].existing_pk:
        return _same_request(Generation.objects.get(pk=gates[0].existing_pk), idempotency_key, fingerprint), False
    gate = _submission_gate(gates, cohort=cohort, cohort_slug=cohort_slug)
    cohort, limits = gate.cohort, gate.limits
    prompt = check_prompt(prompt=prompt, cohort=cohort)
    if callback_url:
        callback_url = webhooks.check_callback_url(callback_url, token=callback_token)
    negative_prompt = (
        check_prompt(prompt=negative_prompt, cohort=cohort, field="negative_prompt") if negative_prompt.strip() else ""
    )
    render, cost = quote(
        preset=preset, duration_s=duration_s, resolution=resolution, aspect_ratio=aspect_ratio, fps=fps
    )
    account_pk = gate.account_pk or account_for(user=artist, cohort=cohort).pk  # the first submission opens it
    try:
        with transaction.atomic():
            # The account row lock serialises this artist's submissions: the queue cap and the balance hold.
            # The queue is counted by a statement of its own after the lock is granted: a count inside the
            # locking statement would read the snapshot taken before it waited for the lock, and miss the
            # jobs that the submissions it waited for had just queued.
            account = CreditAccount.objects.select_for_update().get(pk=account_pk)
            waiting = Generation.objects.filter(artist=artist, status=Generation.Status.QUEUED).count()
            account = credits_refill(account=account)  # a new period starts here when the last one has ended
            if waiting >= limits.max_queued:
                raise ApplicationError(
                    "too_many_queued",
                    f"You have {waiting} clips waiting; the limit is {limits.max_queued}.",
                    status=429,
                )
            if account.available < cost:
                raise ledger.InsufficientCredits(available=account.available, cost=cost)
            generation = Generation.objects.create(
                artist=artist, cohort=cohort, account=account, prompt=prompt, negative_prompt=negative_prompt,
                preset=render.preset.name, width=render.width, height=render.height, num_frames=render.num_frames,
                fps=render.fps, steps=render.steps, guidance=render.guidance,
                seed=seed if seed is not None else secrets.randbelow(2**31), cost=cost,
                idempotency_key=idempotency_key or None, retry_of=retry_of,
                idempotency_fingerprint=fingerprint if idempotency_key else "",
                callback_url=callback_url, callback_token=callback_token if callback_url else None,
            )  # fmt: skip
            ledger.credits_reserve_locked(account=account, generation=generation)
            transaction.on_commit(lambda: wake_workers(generation.pk))
    except IntegrityError:
        if idempotency_key:  # the same key sent twice at once: the other request won
            first = Generation.objects.get(artist=artist, idempotency_key=idempotency_key)
            return _same_request(first, idempotency_key, fingerprint), False
        raise
    return generation, True


def _request_fingerprint(**sent) -> str:
    """What a submission asked for, as sent, in one hash: a key reused for another request is an error."""
    return hashlib.sha256(json.dumps(sent, sort_keys=True, default=str).encode()).hexdigest()


def _same_request(first: Generation, key: str, fingerprint: str) -> Generation:
    """The generation an Idempotency-Key already made, if this request is the same one (422 if not, as
    Stripe answers: returning the first job would hide that the second was never made)."""
    if first.idempotency_fingerprint and first.idempotency_fingerprint != fingerprint:
        raise ApplicationError(
            "idempotency_key_reused",
            f"The Idempotency-Key {key[:60]!r} was used for a different request; send a new key for a new one.",
            fields={"Idempotency-Key": "used before with other parameters"},
            status=422,
        )
    return first


def wake_workers(generation_id: int) -> None:
    dispatch.wake_workers()


@transaction.atomic
def generation_cancel(*, actor: User, generation: Generation) -> Generation:
    """Queued: canceled now, credits released. Running: the worker stops within one denoising step."""
    generation = Generation.objects.select_for_update().get(pk=generation.pk)
    if generation.status == Generation.Status.QUEUED:
        generation.status = Generation.Status.CANCELED
        generation.finished_at = timezone.now()
        generation.save(update_fields=["status", "finished_at"])
        ledger.credits_release(generation=generation)
        webhooks.webhook_enqueue(generation)
    elif generation.status == Generation.Status.RUNNING:
        generation.cancel_requested = True
        generation.save(update_fields=["cancel_requested"])
    else:
        raise ApplicationError("not_cancellable", f"This generation already {generation.status}.", status=409)
    if actor.pk != generation.artist_id:
        audit_record(
            action="generation.canceled",
            actor=actor,
            target=generation,
            subject_user=generation.artist,
            cohort=generation.cohort,
        )
    return generation


def _resubmit(generation: Generation, **extra) -> Generation:
    """The same parameters and seed as ``generation``, submitted anew (priced and reserved again)."""
    resubmitted, _ = generation_submit(
        artist=generation.artist,
        cohort=generation.cohort,
        prompt=generation.prompt,
        negative_prompt=generation.negative_prompt,
        duration_s=generation.duration_s,
        resolution=min(generation.width, generation.height),
        aspect_ratio=pricing.aspect_of(generation.width, generation.height) or "1:1",
        fps=generation.fps,
        seed=generation.seed,
        preset=generation.preset,
        **extra,
    )
    return resubmitted


def generation_retry(*, actor: User, generation: Generation) -> Generation:
    """A failed or canceled job again, linked to the original. The original was released, never charged,
    and retrying the same original twice returns the first retry (its idempotency key names the original)."""
    generation = Generation.objects.select_related("artist", "cohort").get(pk=generation.pk)
    check_artist_of(actor=actor, generation=generation)
    if generation.status not in (Generation.Status.FAILED, Generation.Status.CANCELED):
        raise ApplicationError("not_retryable", "Only failed or canceled generations can be retried.", status=409)
    return _resubmit(generation, retry_of=generation, idempotency_key=f"retry-of-{generation.pk}")


def generation_rerun(*, actor: User, generation: Generation) -> Generation:
    """Another clip with the same prompt, parameters and seed (the studio's "re-run" button)."""
    check_artist_of(actor=actor, generation=generation)
    return _resubmit(generation)


@transaction.atomic
def generation_delete(*, actor: User, generation: Generation) -> None:
    """Remove the clip's files; the row stays (it is in the ledger), marked deleted."""
    generation = Generation.objects.select_for_update().select_related("cohort", "artist").get(pk=generation.pk)
    check_artist_of(actor=actor, generation=generation)
    if not generation.is_terminal:
        raise ApplicationError("not_deletable", "Cancel the generation before deleting it.", status=409)
    for field in (generation.video, generation.poster):
        if field:
            field.delete(save=False)
    generation.deleted_at = timezone.now()
    generation.save(update_fields=["video", "poster", "deleted_at"])
    audit_record(
        action="generation.deleted", actor=actor, target=generation, subject_user=generation.artist,
        cohort=generation.cohort,
    )  # fmt: skip
