"""The studio, the clip views and the admin queue: thin pages over the services and selectors."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import staff_page
from generations import media, selectors, services
from generations.forms import SubmitForm
from generations.models import Generation
from generations.permissions import access_generation


def _studio_context(request, form):
    generations = list(selectors.generations_visible_to(user=request.user).select_related("retry_of")[:50])
    accounts = services.credit_accounts_for(user=request.user)
    return {
        "form": form,
        "form_key": uuid.uuid4().hex,
        "generations": selectors.with_queue_estimates(generations),
        "accounts": accounts,
    }


@login_required
def studio(request):
    if request.htmx and request.GET.get("part") == "credits":  # the credits card refreshes itself
        return render(
            request, "generations/_credits.html", {"accounts": services.credit_accounts_for(user=request.user)}
        )
    form = SubmitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.generation_submit(
                artist=request.user, idempotency_key=request.POST.get("idempotency_key") or None, **data
            )
            messages.success(request, "Queued. Your credits are reserved; they are charged only if the clip renders.")
            return redirect("studio")
        except ApplicationError as exc:
            for field, message in exc.fields.items():
                if field in form.fields:
                    form.add_error(field, message)
            form.add_error(None, exc.message)  # the whole sentence once, above the form
    return render(
        request, "generations/studio.html", _studio_context(request, form), status=400 if form.errors else 200
    )


@login_required
@require_POST
def studio_quote(request):
    """The live quote under the form (htmx)."""
    try:
        render_plan, cost = services.quote(
            preset=request.POST.get("preset", "tiny"),
            duration_s=float(request.POST.get("duration_s") or 0),
            resolution=int(request.POST.get("resolution") or 0),
            aspect_ratio=request.POST.get("aspect_ratio", "1:1"),
            fps=int(request.POST["fps"]) if request.POST.get("fps") else None,
        )
        text = (
            f"{cost} credits for {render_plan.width}x{render_plan.height}, {render_plan.num_frames} frames "
            f"at {render_plan.fps} fps ({render_plan.duration_s:.2f} s)"
        )
    except ApplicationError as exc:
        text = exc.message
    except ValueError:
        text = "Enter numbers for the duration and resolution."
    return HttpResponse(f'<p id="quote" class="muted">{escape(text)}</p>')


@login_required
@require_GET
def generation_row(request, public_id):
    """One row of the studio list; htmx polls it while the job is queued or running."""
    generation = access_generation(request, public_id)
    generation = selectors.with_queue_estimate(generation)
    return render(request, "generations/_row.html", {"g": generation})


@login_required
@require_POST
def generation_action(request, public_id, action: str):
    generation = access_generation(request, public_id)
    try:
        if action == "cancel":
            services.generation_cancel(actor=request.user, generation=generation)
            messages.success(
                request, "Cancelled." if generation.status == "queued" else "Stopping after the current step."
            )
        elif action == "rerun" and generation.artist_id == request.user.pk:
            services.generation_rerun(actor=request.user, generation=generation)
            messages.success(request, "Queued again with the same seed.")
        elif action == "delete" and generation.artist_id == request.user.pk:
            services.generation_delete(actor=request.user, generation=generation)
            messages.success(request, "Deleted.")
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("studio")


@login_required
def media_view(request, public_id, kind: str):
    if kind not in media.CONTENT_TYPES:
        raise Http404
    generation = access_generation(request, public_id)
    return media.serve(request, generation, kind)


def media_signed(request, token: str):
    generation_id, kind = media.read_signed(token)
    return media.serve(request, get_object_or_404(Generation, pk=generation_id), kind)


@staff_page()
def staff_queue(request):
    return render(
        request,
        "generations/staff_queue.html",
        {"overview": selectors.queue_overview(), "usage": selectors.usage_per_artist(), "workers": _live_workers()},
    )


def _live_workers() -> list[str]:
    from config.celery import app

    try:
        return sorted(name for reply in app.control.ping(timeout=0.5) for name in reply)
    except Exception:  # the broker being down is shown as "no workers", not a broken page
        return []
