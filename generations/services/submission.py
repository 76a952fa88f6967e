"""Submitting a generation: the prompt's checks, the gates (membership, pauses, terms), the price,
the reservation, and idempotency. The wake-up message goes out after commit (dispatch.wake_workers)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import ApiToken, Cohort, User
from core.errors import ApplicationError
from generations import dispatch, lanes, ledger, pricing, prompts, selectors, webhooks
from generations.models import CreditAccount, Generation, PromptRule, StartImage
from generations.services.credits import credit_account_open, credits_refill
from inference.presets import IMAGE_FITS


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
    folded = prompts.prompt_forms(prompt)  # look-alikes folded; punctuation as letters, or as spaces
    forms = (prompt, prompts.matching_form(prompt), *folded)  # as typed, normalised, folded
    for rule in PromptRule.objects.filter(cohort__isnull=True) | PromptRule.objects.filter(cohort=cohort):
        if rule.is_regex:
            hit = any(re.search(rule.pattern, form, re.IGNORECASE) for form in forms)
        else:
            hit = prompts.contains_term(folded, rule.pattern)
        if hit:
            raise ApplicationError(
                "prompt_rejected", f"This prompt is not allowed: {rule.reason}.",
                fields={field: rule.reason}, extra={"rule": rule.pk},
            )  # fmt: skip
    return prompt


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
    *, preset: str, duration_s: float, resolution: int, aspect_ratio: str, fps: int | None = None,
    lane: str = Generation.Lane.PAID, cohort: Cohort | None = None,
) -> tuple[pricing.RenderPlan, int]:
    """The render these settings make and what it costs in ``lane``: a relaxed clip costs ``cohort``'s share
    of the price (generations/lanes.py), which is what the quote must say before the artist submits."""
    render = pricing.plan(
        preset_name=preset, duration_s=duration_s, resolution=resolution, aspect_ratio=aspect_ratio, fps=fps
    )
    cost = pricing.price(render)
    if lane == Generation.Lane.RELAXED:
        if cohort is None:
            raise ApplicationError(
                "invalid", "Name the cohort whose relaxed lane prices the clip.", fields={"cohort": "required"}
            )
        cost = lanes.relaxed_cost(policy=lanes.relaxed_policy(cohort=cohort), cost=cost)
    elif lane != Generation.Lane.PAID:
        raise ApplicationError("invalid", "lane is paid or relaxed.", fields={"lane": "paid or relaxed"})
    return render, cost


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
    start_image: uuid.UUID | str | None = None,
    image_fit: str = "crop",
    style: str = "",
    lane: str = Generation.Lane.PAID,
) -> tuple[Generation, bool]:
    """Validate, price, reserve credits and queue a generation; returns it and whether it is new.

    The generation goes to ``cohort``, or the artist's active cohort with ``cohort_slug``, or the
    artist's only active cohort. With an ``idempotency_key`` already used by this artist, the first
    generation is returned and nothing else happens. The wake-up message goes out on commit. With a
    ``callback_url``, the job's terminal state is POSTed there, signed with ``callback_token``'s
    webhook secret (generations.webhooks). With ``start_image`` (the public id of one of the artist's
    start images) the clip is made from that image, fitted by ``image_fit``; ``style`` picks one of
    the preset's styles that the cohort allows. ``lane="relaxed"`` queues it in the cohort's relaxed lane
    (generations/lanes.py): it runs on idle GPUs, for the cohort's share of the price, within its caps.

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
        start_image=str(start_image) if start_image else None, image_fit=image_fit if start_image else None,
        style=style or None, lane=lane if lane != Generation.Lane.PAID else None,
    )  # fmt: skip
    if lane not in Generation.Lane.values:
        raise ApplicationError("invalid", "lane is paid or relaxed.", fields={"lane": "paid or relaxed"})
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
        preset=preset, duration_s=duration_s, resolution=resolution, aspect_ratio=aspect_ratio, fps=fps,
        lane=lane, cohort=cohort,
    )  # fmt: skip
    start = _start_image(artist=artist, public_id=start_image, render=render, image_fit=image_fit)
    if style:
        _check_style(style=style, render=render, cohort=cohort)
    relaxed = lanes.relaxed_policy(cohort=cohort) if lane == Generation.Lane.RELAXED else None
    account_pk = gate.account_pk or credit_account_open(user=artist, cohort=cohort).pk  # the first submission opens it
    try:
        with transaction.atomic():
            # The account row lock serialises this artist's submissions: the queue cap and the balance hold.
            # The queue is counted by a statement of its own after the lock is granted: a count inside the
            # locking statement would read the snapshot taken before it waited for the lock, and miss the
            # jobs that the submissions it waited for had just queued.
            account = CreditAccount.objects.select_for_update().get(pk=account_pk)
            if relaxed is not None:  # the relaxed lane has caps of its own
                lanes.check_relaxed_caps(artist=artist, policy=relaxed)
            else:
                paid = Generation.objects.filter(artist=artist, status=Generation.Status.QUEUED, lane=lane)
                if (waiting := paid.count()) >= limits.max_queued:
                    raise ApplicationError(
                        "too_many_queued",
                        f"You have {waiting} clips waiting; the limit is {limits.max_queued}.",
                        status=429,
                    )
            account = credits_refill(account=account)  # a new period starts here when the last one has ended
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
                start_image=start, image_fit=image_fit if start else "", style=style, lane=lane,
            )  # fmt: skip
            if cost:  # a free relaxed clip reserves nothing (and settles nothing)
                ledger.credits_reserve_locked(account=account, generation=generation)
            transaction.on_commit(dispatch.wake_workers)
    except IntegrityError:
        if idempotency_key:  # the same key sent twice at once: the other request won
            first = Generation.objects.get(artist=artist, idempotency_key=idempotency_key)
            return _same_request(first, idempotency_key, fingerprint), False
        raise
    return generation, True


def _start_image(
    *, artist: User, public_id: uuid.UUID | str | None, render: pricing.RenderPlan, image_fit: str
) -> StartImage | None:
    """The artist's own start image named by ``public_id``, when the preset makes clips from images."""
    if not public_id:
        return None
    try:
        start = StartImage.objects.filter(artist=artist, public_id=public_id).first()
    except ValidationError:  # not a UUID
        start = None
    if start is None:
        raise ApplicationError(
            "invalid", "No start image of yours has this id; upload it first (POST /api/v1/images/).",
            fields={"start_image": "not one of your images"},
        )  # fmt: skip
    if "image" not in render.preset.modes:
        offering = sorted(name for name, preset in pricing.presets().items() if "image" in preset.modes)
        raise ApplicationError(
            "invalid", f"Preset {render.preset.name} makes clips from a prompt only.",
            fields={"start_image": f"choose a preset that starts from an image: {', '.join(offering) or 'none'}"},
        )  # fmt: skip
    if image_fit not in IMAGE_FITS:
        raise ApplicationError("invalid", "Fit the image by crop or pad.", fields={"image_fit": "choose crop or pad"})
    return start


def _check_style(*, style: str, render: pricing.RenderPlan, cohort: Cohort) -> None:
    allowed = [adapter.name for adapter in pricing.cohort_styles(cohort=cohort, preset=render.preset)]
    if style not in allowed:
        choose = f"choose {', '.join(allowed)}" if allowed else f"your cohort allows no style of {render.preset.name}"
        raise ApplicationError(
            "invalid", f"The style {style!r} is not one your cohort may use with {render.preset.name}.",
            fields={"style": choose},
        )  # fmt: skip


def _request_fingerprint(**sent) -> str:
    """What a submission asked for, as sent, in one hash: a key reused for another request is an error.
    A field added later counts only when given (``lane``), so earlier keys keep their fingerprints."""
    if sent.get("lane") is None:
        sent.pop("lane", None)
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
