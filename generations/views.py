"""The studio, the clip views and the admin queue: thin pages over the services and selectors."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from accounts.models import Cohort
from accounts.permissions import staff_page
from accounts.selectors import access_notices_for
from core import charts as charts_lib
from core.client_ip import client_ip
from core.pages import refusals_as_messages, refusals_named, refusals_on, safe_next
from generations import dispatch, media, numbers, pricing, selectors, services
from generations.forms import (
    CreditGrantForm,
    QuotaOverrideForm,
    QuotaPageForm,
    QuotaPolicyForm,
    RerunForm,
    SettingsForm,
    SubmitForm,
)
from generations.models import Generation, QuotaOverride, StartImage
from generations.permissions import access_generation

# The studio keeps what the artist last submitted, so the next clip starts from it.
LAST_SUBMISSION_SESSION_KEY = "studio_last_submission"
KEPT_FIELDS = ("cohort", "prompt", "negative_prompt", "preset", "size", "fps", "duration_s", "seed", "style", "lane")

STATUS_FILTERS = [("", "All"), *((value, label) for value, label in Generation.Status.choices)]


def _studio_context(request, form, settings: SettingsForm):
    status = request.GET.get("status", "")
    status = status if status in Generation.Status.values else ""
    generations, next_cursor = selectors.studio_clips(
        user=request.user, status=status or None, before=request.GET.get("before")
    )
    accounts = selectors.credit_balances(user=request.user)
    notices = access_notices_for(user=request.user, return_to=reverse("studio"))
    quote, cost = settings.quote()
    notices += selectors.low_credit_notices(accounts=accounts, cost=cost)
    kept = form["keep_image"].value()
    kept_image = selectors.own_start_image(user=request.user, public_id=kept) if kept else None
    return {
        "form": form,
        "kept_image": kept_image,
        "form_key": uuid.uuid4().hex,
        "quote": quote,
        "generations": generations,
        "next_cursor": next_cursor,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "accounts": accounts,
        "notices": notices,
    }


def _settings_of(request) -> dict:
    """What the form starts from: a clip's settings (its "use these settings" link), else the last submission."""
    source = request.GET.get("from")
    if source:
        clip = selectors.own_clip(user=request.user, public_id=source)
        if clip is not None:
            aspect = pricing.aspect_of(clip.width, clip.height)
            return {
                "cohort": clip.cohort_id, "prompt": clip.prompt, "negative_prompt": clip.negative_prompt,
                "preset": clip.preset, "size": f"{min(clip.width, clip.height)}|{aspect}", "fps": str(clip.fps),
                "duration_s": f"{clip.duration_s:g}", "seed": clip.seed, "style": clip.style,
                "keep_image": str(clip.start_image.public_id) if clip.start_image_id else "",
                "image_fit": clip.image_fit or "crop", "lane": clip.lane,
            }  # fmt: skip
    return request.session.get(LAST_SUBMISSION_SESSION_KEY) or {}


@login_required
def studio(request):
    if request.htmx and request.GET.get("part") == "credits":  # the credits card refreshes itself
        return render(request, "generations/_credits.html", {"accounts": selectors.credit_balances(user=request.user)})
    if request.method == "POST":
        form = SubmitForm(request.POST, request.FILES, user=request.user)
        settings = SettingsForm.adjusted(request.POST, user=request.user)
        if form.is_valid():
            with refusals_on(form):
                values = dict(form.cleaned_data)
                values["start_image"] = _start_image_of(request, form, values)
                services.generation_submit(artist=request.user, **values)
                request.session[LAST_SUBMISSION_SESSION_KEY] = {name: form.data.get(name) for name in KEPT_FIELDS}
                messages.success(
                    request,
                    "Submitted: your clip is below. Its credits are reserved now and charged only if it renders.",
                )
                return redirect("studio")
    else:
        last = _settings_of(request)
        settings = SettingsForm.adjusted(last, user=request.user)
        form = SubmitForm(initial={**last, **settings.initial}, user=request.user)
    return render(
        request,
        "generations/studio.html",
        _studio_context(request, form, settings),
        status=400 if form.errors else 200,
    )


def _start_image_of(request, form: SubmitForm, values: dict):
    """The public id of the image the clip starts from: a new upload (stored first, and kept on the
    form if the submission is then refused, so it need not be sent again), else the kept one. The
    studio shows the image fields only for presets that start from images; for others they count for
    nothing."""
    upload, kept = values.pop("start_image_file", None), values.pop("keep_image", None)
    if "image" not in form.preset.modes:
        values["image_fit"] = "crop"
        return None
    if upload is not None:
        with refusals_named("start_image_file"):
            image = services.start_image_upload(artist=request.user, data=upload.read())
        form.data = form.data.copy()
        form.data["keep_image"] = str(image.public_id)
        return image.public_id
    return kept


CREDITS_CHART_DAYS, CREDITS_LEDGER_SHOWN = 30, 100


@login_required
@require_GET
def credits_page(request):
    """The artist's credits: per cohort, the balance, a chart of credits spent per day and the ledger
    with the available balance after each entry."""
    accounts = []
    for account in selectors.credit_balances(user=request.user):
        labels, spent = selectors.credits_spent_per_day(account=account, days=CREDITS_CHART_DAYS)
        chart = charts_lib.line_chart("Credits spent on rendered clips, per day", "credits", labels, {"spent": spent})
        entries = selectors.ledger_with_balance(account=account, limit=CREDITS_LEDGER_SHOWN)
        accounts.append({"account": account, "chart": chart if any(spent) else None, "entries": entries})
    return render(
        request,
        "generations/credits.html",
        {"accounts": accounts, "days": CREDITS_CHART_DAYS, "shown": CREDITS_LEDGER_SHOWN},
    )


@login_required
@require_POST
def studio_quote(request):
    """The settings and their price, redrawn as they change (htmx): choices follow the preset and frame rate."""
    settings = SettingsForm.adjusted(request.POST, user=request.user)
    return render(request, "generations/_settings.html", {"form": settings, "quote": settings.quote()[0]})


@login_required
@require_GET
def generation_page(request, public_id):
    """One clip: the player, how it was made, and (for its artist) every time staff opened it."""
    generation = access_generation(request, public_id)
    services.staff_access_record(viewer=request.user, generation=generation, via="page")
    context = {"g": generation, "own": generation.artist_id == request.user.pk}
    if context["own"]:
        context["staff_access"] = selectors.staff_access_to(generation=generation)
    return render(request, "generations/generation.html", context)


@login_required
@require_GET
def generation_row(request, public_id):
    """One card of the studio's clips; htmx polls it while the job is queued or running."""
    generation = access_generation(request, public_id)
    generation = selectors.with_queue_estimate(generation)
    return render(request, "generations/_clip.html", {"g": generation})


@login_required
@require_POST
@refusals_as_messages(back="studio")
def generation_cancel(request, public_id):
    generation = services.generation_cancel(actor=request.user, generation=access_generation(request, public_id))
    messages.success(
        request,
        "Cancelled."
        if generation.status == "canceled"
        else "Stopping now. A clip stopped before it is stored is not charged.",
    )
    return redirect(safe_next(request, reverse("studio")))


@login_required
@require_POST
@refusals_as_messages(back="studio")
def generation_rerun(request, public_id):
    form = RerunForm(request.POST)
    seed = form.cleaned_data["seed"] if form.is_valid() else ""  # the service names what to choose
    rerun = services.generation_rerun(actor=request.user, generation=access_generation(request, public_id), seed=seed)
    messages.success(
        request,
        f"Queued again with the same seed ({rerun.seed})."
        if seed == "same"
        else f"Queued with a new seed ({rerun.seed}).",
    )
    return redirect("studio")


@login_required
@require_POST
@refusals_as_messages(back="studio")
def generation_delete(request, public_id):
    services.generation_delete(actor=request.user, generation=access_generation(request, public_id))
    messages.success(request, "Deleted.")
    return redirect("studio")


@login_required
@require_safe
def media_view(request, public_id, kind: str):
    if kind not in media.KINDS:
        raise Http404
    generation = access_generation(request, public_id)
    response = media.serve(request, generation, kind)
    services.staff_access_record(viewer=request.user, generation=generation, via=kind)
    return response


@login_required
@require_safe
def start_image_view(request, public_id):
    """One of the artist's own start images (the studio shows the one a new clip will start from)."""
    image = get_object_or_404(StartImage, artist=request.user, public_id=public_id)
    return media.serve_file(request, image.file, image.content_type, sha256=image.sha256)


@csrf_exempt  # reads only (GET and HEAD): any other method gets 405, not the CSRF check's 403
@require_safe
def media_signed(request, token: str):
    generation_id, kind, viewer_id = media.read_signed(token)
    generation = selectors.clip_with_artist(generation_id=generation_id)
    if generation is None:
        raise Http404("No such clip.")
    response = media.serve(request, generation, kind)
    if viewer_id is not None and viewer_id != generation.artist_id:
        viewer = selectors.user_by_id(user_id=viewer_id)
        if viewer is not None:
            services.staff_access_record(viewer=viewer, generation=generation, via=kind)
    return response


QUEUE_JOBS_SHOWN = 100


@staff_page()
@require_GET
def staff_queue(request):
    """The queue's counts and the jobs behind them (cancel, refreshed every 5 s), phases and usage."""
    jobs = {"jobs": numbers.queue_jobs(limit=QUEUE_JOBS_SHOWN), "job_limit": QUEUE_JOBS_SHOWN}
    if request.htmx and request.GET.get("part") == "jobs":
        return render(request, "generations/_queue_jobs.html", jobs)
    overview = {"overview": numbers.queue_overview(), "usage": numbers.usage_per_artist()}
    return render(request, "generations/staff_queue.html", {**overview, **jobs, "workers": _live_workers()})


DASHBOARD_DAYS = 14


@staff_page()
@require_GET
def staff_dashboard(request):
    """The admin home: live numbers (refreshed every 5 s) and two weeks of queue wait, GPU time and jobs."""
    live = {"numbers": numbers.live_numbers(), "workers": _live_workers()}
    if request.htmx and request.GET.get("part") == "live":
        return render(request, "generations/_dashboard_live.html", live)
    series = numbers.daily_series(days=DASHBOARD_DAYS)
    charts = {
        "wait_chart": charts_lib.line_chart(
            "Queue wait (seconds from submitted to started)", "s", series.days,
            {"median": series.wait_p50_s, "95th percentile": series.wait_p95_s},
        ),
        "gpu_chart": charts_lib.line_chart(
            "GPU seconds used, per cohort", "s", series.days, series.gpu_seconds_by_cohort
        ),
        "state_chart": charts_lib.line_chart(
            "Jobs submitted each day, by their state now", "jobs", series.days, series.jobs_by_state
        ),
    }  # fmt: skip
    return render(request, "generations/staff_dashboard.html", {**live, **charts, "days": DASHBOARD_DAYS})


def _live_workers() -> list[str]:
    try:
        return dispatch.live_workers(timeout_s=0.5)
    except Exception:  # the broker being down is shown as "no workers", not a broken page
        return []


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_cohort_quota(request, cohort_id: int):
    """A cohort's quota policy, per-artist overrides and credit grants: each form posts here with its name."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    policy = selectors.quota_policy_of(cohort=cohort)
    which = QuotaPageForm(request.POST if request.method == "POST" else None)
    sent = which.cleaned_data["form"] if which.is_valid() else None
    forms_ = {
        "policy": QuotaPolicyForm(request.POST if sent == "policy" else None, instance=policy, prefix="policy"),
        "override": QuotaOverrideForm(request.POST if sent == "override" else None, cohort=cohort, prefix="override"),
        "grant": CreditGrantForm(
            request.POST if sent == "grant" else None, cohort=cohort, prefix="grant", initial={"key": uuid.uuid4().hex}
        ),
    }
    form = forms_.get(sent)
    if form is not None and form.is_valid():
        with refusals_on(form):
            _apply_quota_form(request, cohort, sent, form.cleaned_data)
            return redirect("staff_cohort_quota", cohort_id=cohort.pk)
    if sent == "remove_override":
        override = get_object_or_404(QuotaOverride, pk=which.override_pk(), cohort=cohort)
        return _remove_override(request, cohort.pk, override)
    context = {
        "cohort": cohort, **forms_,
        "overrides": selectors.overrides_of(cohort=cohort),
    }  # fmt: skip
    return render(request, "generations/staff_quota.html", context, status=400 if form and form.errors else 200)


@refusals_as_messages(back=lambda request, cohort_id, override: reverse("staff_cohort_quota", args=[cohort_id]))
def _remove_override(request, cohort_id: int, override: QuotaOverride):
    services.quota_override_remove(actor=request.user, override=override, ip=client_ip(request))
    messages.success(request, f"{override.user.email} follows the cohort's policy again.")
    return redirect("staff_cohort_quota", cohort_id=cohort_id)


def _apply_quota_form(request, cohort, sent: str, data: dict) -> None:
    ip = client_ip(request)
    if sent == "policy":
        services.quota_policy_save(actor=request.user, cohort=cohort, ip=ip, **data)
        messages.success(request, "Quota policy saved; it applies from each artist's next submission.")
    elif sent == "override":
        artist = data.pop("artist")
        services.quota_override_set(actor=request.user, cohort=cohort, user=artist, ip=ip, **data)
        messages.success(request, f"Override saved for {artist.email}.")
    else:
        account = services.credits_grant_by_staff(
            actor=request.user, cohort=cohort, user=data["artist"], amount=data["amount"], note=data["note"],
            key=f"staff-grant:{data['key']}", ip=ip,
        )  # fmt: skip
        messages.success(request, f"{data['artist'].email} now has {account.available} credits available.")
