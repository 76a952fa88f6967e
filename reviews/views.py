"""The review pages: the artist's requests, the reviewer's queue, the gallery, the reasons, the numbers.

Thin over the services and selectors. The gallery, its clips and the list of reasons are public; the
queue and the staff pages need the staff role and a second factor used in this session.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from accounts.models import Cohort
from accounts.permissions import is_admin, staff_page
from accounts.selectors import is_active_member
from core import charts
from core.client_ip import client_ip
from core.errors import ApplicationError
from core.pages import paged, refusals_as_messages, refusals_on
from core.periods import PERIOD
from generations import services as generation_services
from generations.media import CONTENT_TYPES, serve_file, signed_url
from generations.permissions import access_generation
from reviews import selectors, services
from reviews.exports import transparency_statements
from reviews.forms import (
    AppealForm,
    DecisionForm,
    PublicationRequestForm,
    QueueFilterForm,
    ReasonCodeForm,
    ReviewPolicyForm,
    TakeDownForm,
)
from reviews.models import Publication, PublicationRequest, ReasonCode
from reviews.permissions import access_review_item, may_review, reviewable_cohorts

GALLERY_PAGE_SIZE = 24

# --- Public: the gallery and the reasons ---------------------------------------------------------


@require_GET
def gallery(request):
    page = Paginator(selectors.gallery(), GALLERY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/gallery.html", {"page": page})


@require_GET
def publication_page(request, public_id):
    publication = get_object_or_404(selectors.publication_pages(), public_id=public_id)
    own = request.user.is_authenticated and request.user.pk == publication.request.artist_id
    if publication.withdrawn_at and not publication.request.artist.is_active:
        # The artist erased their account (docs/privacy.md): the old link says so instead of a bare 404.
        return render(request, "reviews/removed.html", {"publication": publication}, status=410)
    if not publication.is_public and not own:
        raise Http404("This clip is not in the gallery.")
    may_take_down = (
        publication.is_public
        and request.user.is_authenticated
        and not own  # one's own clip is withdrawn, not taken down (publications.publication_take_down)
        and may_review(reviewer=request.user, cohort_id=publication.request.cohort_id)
    )
    context = {"publication": publication, "own": own, "take_down_form": TakeDownForm() if may_take_down else None}
    return render(request, "reviews/publication.html", context)


@csrf_exempt  # reads only (GET and HEAD): any other method gets 405, not the CSRF check's 403
@require_safe
def gallery_media(request, public_id, kind: str):
    """The public, signed copy, with Range; its path says nothing about the private file."""
    if kind not in CONTENT_TYPES:
        raise Http404
    publication = get_object_or_404(selectors.gallery(), public_id=public_id)
    field = publication.video if kind == "video" else publication.poster
    if not field:
        raise Http404
    sha256 = publication.video_sha256 if kind == "video" else ""
    return serve_file(request, field, CONTENT_TYPES[kind], public=True, sha256=sha256)


@require_GET
def reason_codes(request):
    return render(request, "reviews/reasons.html", {"reasons": selectors.reason_codes()})


# --- The artist's requests -----------------------------------------------------------------------


@login_required
def publication_request_new(request, public_id):
    generation = access_generation(request, public_id)
    if generation.artist_id != request.user.pk:
        raise Http404
    if request.method == "POST":
        form = PublicationRequestForm(request.POST)
        if form.is_valid():
            with refusals_on(form):
                services.publication_request_create(artist=request.user, generation=generation, **form.cleaned_data)
                messages.success(request, "Requested: a reviewer decides before the deadline shown below.")
                return redirect("publication_requests")
    else:
        form = PublicationRequestForm(initial={"credit_line": selectors.credit_line_default(artist=request.user)})
    context = {
        "form": form, "generation": generation, "reasons": selectors.reason_codes(),
        "policy": selectors.review_policy_of(generation.cohort),
    }  # fmt: skip
    return render(request, "reviews/request_new.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def publication_requests(request):
    listed = paged(request, selectors.requests_of(artist=request.user), per_page=20)
    requests = selectors.with_statements(list(listed.page))
    context = {"requests": requests, "paged": listed, "appeal_form": AppealForm()}
    return render(request, "reviews/requests.html", context)


def _own_request(request, request_id) -> PublicationRequest:
    return get_object_or_404(PublicationRequest, pk=request_id, artist=request.user)


@login_required
@require_POST
@refusals_as_messages(back="publication_requests")
def publication_request_withdraw(request, request_id: int):
    services.publication_request_withdraw(actor=request.user, request=_own_request(request, request_id))
    messages.success(request, "Withdrawn. You may ask again at any time.")
    return redirect("publication_requests")


@login_required
@require_POST
@refusals_as_messages(back="publication_requests")
def publication_request_appeal(request, request_id: int):
    form = AppealForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("invalid", "Say in 1 to 2,000 characters why the decision should change.")
    services.appeal_create(
        artist=request.user, request=_own_request(request, request_id), message=form.cleaned_data["message"]
    )
    messages.success(request, "Appealed: a reviewer other than the first one decides, and that decision is final.")
    return redirect("publication_requests")


@login_required
@require_POST
@refusals_as_messages(back="publication_requests")
def publication_request_publish(request, request_id: int):
    publication = services.publication_self_publish(artist=request.user, request=_own_request(request, request_id))
    messages.success(request, "Published without review; the gallery page says so.")
    return redirect("publication_page", public_id=publication.public_id)


@login_required
@require_POST
@refusals_as_messages(back="publication_requests")
def publication_withdraw(request, public_id):
    publication = get_object_or_404(Publication, public_id=public_id, request__artist=request.user)
    services.publication_withdraw(actor=request.user, publication=publication)
    messages.success(request, "Withdrawn from the gallery.")
    return redirect("publication_requests")


# --- The reviewer's queue ------------------------------------------------------------------------


def _filters(request, cohorts) -> tuple[QueueFilterForm, selectors.QueueFilters]:
    form = QueueFilterForm(request.GET or None, cohorts=cohorts)
    if form.is_bound and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if value}
        return form, selectors.QueueFilters(**data)
    return form, selectors.QueueFilters()


def _undo_offer(request) -> dict:
    """What the desk says about the decision just made (?undo=id), while it can still be taken back."""
    decision = selectors.undoable_decision(reviewer=request.user, decision_id=request.GET.get("undo"))
    if decision is None:
        return {}
    seconds = max(1, int((decision.held_until - timezone.now()).total_seconds()))
    return {"undo": decision, "undo_seconds": seconds}


@staff_page(admin_only=False)
@require_GET
def review_queue(request):
    cohorts = list(reviewable_cohorts(reviewer=request.user))
    form, filters = _filters(request, cohorts)
    queue = list(selectors.review_queue(reviewer=request.user, filters=filters)[:200])
    for item in queue:  # fetched through a link that names the reviewer: the artist sees the look recorded
        item.poster_url = signed_url(item.generation, "poster", viewer_id=request.user.pk)
    context = {"queue": queue, "form": form, "cohorts": cohorts, **_undo_offer(request)}
    return render(request, "reviews/queue.html", context)


@staff_page(admin_only=False)
@require_POST
def review_claim_next(request):
    claimed = services.review_claim_next(reviewer=request.user)
    if claimed is None:
        messages.info(request, "Nothing is waiting for you.")
        return redirect("review_queue")
    return redirect("review_item", request_id=claimed.pk)


def _queue_item(request, request_id) -> PublicationRequest:
    return access_review_item(reviewer=request.user, request_id=request_id, shaped=selectors.queue_item)


@staff_page(admin_only=False)
@require_GET
def review_item(request, request_id: int):
    item = _queue_item(request, request_id)
    holds = item.claimed_by_id == request.user.pk and item.state == PublicationRequest.State.IN_REVIEW
    neighbours = selectors.queue_order(reviewer=request.user)
    position = neighbours.index(item.pk) if item.pk in neighbours else None
    context = {
        "item": item,
        "holds": holds,
        "form": DecisionForm(stage=item.stage),
        "previous_id": neighbours[position - 1] if position else None,
        "next_id": neighbours[position + 1] if position is not None and position + 1 < len(neighbours) else None,
        "history": selectors.statements_of_request(item),
        **_undo_offer(request),
    }
    if holds:
        generation_services.staff_access_record(viewer=request.user, generation=item.generation, via="review")
        context["video_url"] = signed_url(item.generation, "video", viewer_id=request.user.pk)
        context["poster_url"] = signed_url(item.generation, "poster", viewer_id=request.user.pk)
    return render(request, "reviews/item.html", context)


def _back_to_item(request, request_id, *args, **kwargs):
    return reverse("review_item", kwargs={"request_id": request_id})


@staff_page(admin_only=False)
@require_POST
@refusals_as_messages(back=_back_to_item)
def review_claim_item(request, request_id: int):
    services.review_claim(reviewer=request.user, request=_queue_item(request, request_id))
    return redirect("review_item", request_id=request_id)


@staff_page(admin_only=False)
@require_POST
def review_renew(request, request_id: int):
    """htmx, every few minutes while the page is open: keep the claim."""
    kept = services.review_claim_renew(reviewer=request.user, request=_queue_item(request, request_id))
    return render(request, "reviews/_lease.html", {"kept": kept})


@staff_page(admin_only=False)
@require_POST
@refusals_as_messages(back=_back_to_item)
def review_release(request, request_id: int):
    services.review_claim_release(reviewer=request.user, request=_queue_item(request, request_id))
    messages.info(request, "Handed back to the queue.")
    return redirect("review_queue")


@staff_page(admin_only=False)
@require_POST
@refusals_as_messages(back=_back_to_item)
def review_decide(request, request_id: int):
    item = _queue_item(request, request_id)
    form = DecisionForm(request.POST, stage=item.stage)
    if not form.is_valid():
        raise ApplicationError("invalid", "Choose approve, reject or request changes, with a reason to refuse.")
    decision = services.review_decide(
        reviewer=request.user,
        request=item,
        outcome=form.cleaned_data["outcome"],
        reason_code=form.cleaned_data["reason_code"],
        note=form.cleaned_data["note"],
        hold=services.UNDO_WINDOW,
    )
    # On to the next item at once; the page there offers to undo this decision while it is held.
    claimed = services.review_claim_next(reviewer=request.user)
    target = reverse("review_item", kwargs={"request_id": claimed.pk}) if claimed else reverse("review_queue")
    return redirect(f"{target}?undo={decision.pk}")


@staff_page(admin_only=False)
@require_POST
@refusals_as_messages(back="review_queue")
def review_undo(request, decision_id: int):
    decision = selectors.undoable_decision(reviewer=request.user, decision_id=decision_id)
    if decision is None:
        messages.error(request, "The time to undo has passed: the decision stands (the artist may appeal it).")
        return redirect("review_queue")
    undone = services.review_decision_undo(reviewer=request.user, decision=decision)
    messages.success(request, "Undone: nothing was published or sent, and the request is yours again.")
    return redirect("review_item", request_id=undone.pk)


def _publication_page(request, public_id) -> str:
    return reverse("publication_page", kwargs={"public_id": public_id})


@staff_page(admin_only=False)
@require_POST
@refusals_as_messages(back=_publication_page)
def publication_take_down(request, public_id):
    publication = get_object_or_404(Publication, public_id=public_id)
    form = TakeDownForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "To take a clip down, choose a reason from the published list and say what in the clip led to it."
        )
        return redirect(_publication_page(request, public_id))
    services.publication_take_down(actor=request.user, publication=publication, **form.cleaned_data)
    messages.success(request, "Taken down. The artist gets the statement of reasons and may appeal.")
    return redirect("gallery")


# --- Admin: the reasons and the numbers; members: their cohort's transparency page --------------


@staff_page()
def reason_codes_admin(request, code: str | None = None):
    instance = get_object_or_404(ReasonCode, code=code) if code else None
    form = ReasonCodeForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = services.reason_code_save(actor=request.user, form=form)
        messages.success(request, f"Saved {saved.code}.")
        return redirect("reason_codes_admin")
    context = {"form": form, "editing": instance, "reasons": selectors.reason_codes(active_only=False)}
    return render(request, "reviews/reasons_admin.html", context, status=400 if form.errors else 200)


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_review_policy(request, cohort_id: int):
    """The cohort's review policy; its form is also drawn inside the staff cohort page (htmx)."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = ReviewPolicyForm(request.POST or None, instance=selectors.review_policy_of(cohort))
    if request.method == "POST" and form.is_valid():
        with refusals_on(form):
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            services.review_policy_save(actor=request.user, cohort=cohort, ip=client_ip(request), **values)
            messages.success(request, "Review policy saved; a new deadline applies to requests made from now on.")
            return redirect("staff_cohort", cohort_id=cohort.pk)
    template = "reviews/_review_policy.html" if request.htmx else "reviews/staff_review_policy.html"
    context = {"cohort": cohort, "form": form, "this_month": f"{timezone.now():%Y-%m}"}
    return render(request, template, context, status=400 if form.errors else 200)


@staff_page()
@require_GET
def transparency_export(request, cohort_id: int, period: str):
    """The cohort's statements of reasons in a month, as a JSON file for the DSA Transparency Database."""
    if not PERIOD.fullmatch(period):
        raise Http404
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    response = JsonResponse(transparency_statements(cohort=cohort, period=period), json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="statements-{cohort.slug}-{period}.json"'
    return response


@staff_page()
@require_GET
def review_dashboard(request):
    numbers = selectors.review_numbers()
    weeks = numbers.weekly_median_hours
    chart = charts.line_chart(
        "Median hours from request to decision, per week", "h", [week.strftime("%Y-%m-%d") for week, _ in weeks],
        {"median": [hours for _, hours in weeks]}, label_name="Week of",
    )  # fmt: skip
    return render(request, "reviews/dashboard.html", {"numbers": numbers, "chart": chart})


@login_required
@require_GET
def transparency(request, slug: str):
    cohort = get_object_or_404(Cohort, slug=slug)
    if not (is_active_member(user=request.user, cohort=cohort) or is_admin(request.user)):
        raise Http404
    numbers = selectors.review_numbers(cohorts=[cohort])
    context = {"cohort": cohort, "policy": selectors.review_policy_of(cohort), "numbers": numbers}
    return render(request, "reviews/transparency.html", context)
