"""The feedback pages: filing and following reports, the boards, triage, the rate card, earnings, and the
admin pages for rate cards, payouts and promotion requests. Thin over the services and selectors."""

from __future__ import annotations

import math
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import staff_page
from core.csv_files import csv_response, wants_excel
from core.errors import ApplicationError
from core.pages import paged, refusals_as_messages, refusals_on, safe_next
from core.periods import PERIOD
from core.upload_limits import UploadTooLarge
from feedback import exports, selectors, services
from feedback.forms import (
    ClosePeriodForm,
    CommentForm,
    DisputeAnswerForm,
    DisputeForm,
    MarkPaidForm,
    PromotionAnswerForm,
    PromotionForm,
    RateCardForm,
    ReportForm,
    TriageFilterForm,
    TriageForm,
)
from feedback.markup import render_markdown
from feedback.models import Dispute, PayoutStatement, PromotionRequest, Report
from feedback.money import format_minor
from feedback.permissions import access_report, triage_cohorts, visible_report_ids
from feedback.uploads import MAX_BYTES
from generations.media import serve_file, signed_url
from generations.models import Generation
from reviews.permissions import review_powers

# --- Reports --------------------------------------------------------------------------------------


@login_required
def report_new(request):
    cohorts = selectors.member_cohorts(user=request.user)
    if not cohorts:
        raise Http404("You are not in a cohort.")
    if request.method == "POST":
        try:
            form = ReportForm(request.POST, cohorts=cohorts)
            files = request.FILES.getlist("files")
        except UploadTooLarge as exc:  # the body was cut off at the cap (core/upload_limits.py)
            form, files = ReportForm({}, cohorts=cohorts), []
            form.add_error(None, f"{exc} Nothing was filed.")
        if form.is_valid():
            data = form.cleaned_data
            with refusals_on(form):
                too_big = [upload.name for upload in files if upload.size > MAX_BYTES]
                if too_big:
                    raise ApplicationError("invalid", f"Attachments are at most 20 MB: {', '.join(too_big)}.")
                report = services.report_create(
                    reporter=request.user, cohort_slug=data["cohort"], kind=data["kind"], title=data["title"],
                    body=data["body"], severity=data["severity"],
                    generation_ids=[value for value in data["generations"].split(",") if value],
                    attachments=[(upload.name, upload.read()) for upload in files],
                )  # fmt: skip
                messages.success(request, "Filed. Staff triage it in the open; you are told of every outcome.")
                return redirect("report_page", report_id=report.pk)
    else:
        form = ReportForm(cohorts=cohorts, initial=_prefill(request))
    context = {
        "form": form,
        "cohorts": cohorts,
        "severities": selectors.policy_for(cohort=cohorts[0]).severity_definitions,
        "linked": _linked(request, form),
        "max_mb": MAX_BYTES // (1024 * 1024),
    }
    return render(request, "feedback/report_new.html", context, status=400 if form.errors else 200)


def _prefill(request) -> dict:
    """From a clip in the studio: a bug report about it, its context shown and linked."""
    try:
        public_id = uuid.UUID(request.GET.get("generation") or "")
    except ValueError:
        return {}
    generation = next(iter(selectors.own_clips(artist=request.user, public_ids=[public_id])), None)
    if generation is None:
        return {}
    return {
        "kind": "bug", "cohort": generation.cohort.slug, "generations": str(generation.public_id),
        "title": f"Clip {generation.get_status_display().lower()}: {generation.prompt[:60]}",
        "body": f"What I expected:\n\nWhat happened:\n\n{generation.failure_message}".strip(),
    }  # fmt: skip


def _linked(request, form) -> list[Generation]:
    raw = form.data.get("generations") if form.is_bound else form.initial.get("generations")
    ids = []
    for value in (raw or "").split(","):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue  # not a clip id: the service refuses it with a sentence; nothing to show here
    return selectors.own_clips(artist=request.user, public_ids=ids)


@login_required
@require_GET
def report_similar(request):
    """htmx: likely duplicates while the title is typed."""
    cohort = selectors.member_cohort(user=request.user, slug=request.GET.get("cohort"))
    similar = selectors.similar_reports(cohort=cohort, text=request.GET.get("title", "")) if cohort else []
    visible = visible_report_ids(user=request.user, report_ids=[report.pk for report in similar])
    shown = [report for report in similar if report.pk in visible]  # a private board's titles stay private
    context = {"similar": similar, "shown": shown, "hidden": len(similar) - len(shown)}
    return render(request, "feedback/_similar.html", context)


@login_required
@require_GET
def reports_mine(request):
    board = request.GET.get("board") == "cohort"
    reports = selectors.reports_listed(user=request.user, board=board)
    shared = [c for c in selectors.member_cohorts(user=request.user) if selectors.policy_for(cohort=c).board_shared]
    listed = paged(request, selectors.board(reports))
    context = {"reports": listed.page, "paged": listed, "board": board, "shared": shared}
    return render(request, "feedback/reports.html", context)


def _report_for(request, report_id) -> Report:
    return access_report(request, report_id, shaped=selectors.report_detail)


@login_required
@require_GET
def report_page(request, report_id: int):
    report = _report_for(request, report_id)
    staff = review_powers(request) and report.reporter_id != request.user.pk
    own = report.reporter_id == request.user.pk
    dispute = selectors.dispute_of(report)
    context = {
        "report": report, "staff": staff, "own": own, "body_html": render_markdown(report.body),
        "comments": [(c, render_markdown(c.body)) for c in report.comments.all()],
        "comment_form": CommentForm(),
        "triage_form": TriageForm(initial={"severity": report.severity}, kind=report.kind) if staff else None,
        "award_previews": services.award_previews(report) if staff else None,
        "linked_clips": _linked_clips(request, report) if staff else [],
        "dispute": dispute, "dispute_form": DisputeForm() if own and dispute is None and report.triaged_by_id else None,
        "answer_form": DisputeAnswerForm() if staff and dispute and not dispute.answered_by_id else None,
        "max_mb": MAX_BYTES // (1024 * 1024),
    }  # fmt: skip
    return render(request, "feedback/report.html", context)


def _linked_clips(request, report: Report) -> list[dict]:
    """The clips linked when the report was filed, as filed (state, worker, error), each with a player
    whose link names the staff member: playing it is recorded for the artist, as any staff look is."""
    clips = {str(generation.public_id): generation for generation in report.generations.all()}
    rows = []
    for filed in report.context or []:
        generation = clips.get(filed.get("id"))
        playable = generation is not None and generation.video and not generation.deleted_at
        rows.append({
            **filed, "generation": generation,
            "video_url": signed_url(generation, "video", viewer_id=request.user.pk) if playable else "",
            "poster_url": signed_url(generation, "poster", viewer_id=request.user.pk) if playable else "",
        })  # fmt: skip
    return rows


def _back(request, report_id, *args, **kwargs):
    return reverse("report_page", kwargs={"report_id": report_id})


@login_required
@require_POST
@refusals_as_messages(back=_back)
def report_comment(request, report_id: int):
    report = _report_for(request, report_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("invalid", "Write a comment of 1 to 10,000 characters.")
    as_staff = review_powers(request) and report.reporter_id != request.user.pk
    services.report_comment(author=request.user, report=report, body=form.cleaned_data["body"], as_staff=as_staff)
    return redirect("report_page", report_id=report_id)


@login_required
@require_POST
@refusals_as_messages(back=_back)
def report_vote(request, report_id: int):
    report = _report_for(request, report_id)
    services.report_vote(user=request.user, report=report)
    return redirect("report_page", report_id=report_id)


@login_required
@require_POST
@refusals_as_messages(back=_back)
def report_attach(request, report_id: int):
    report = _report_for(request, report_id)
    try:
        upload = request.FILES.get("file")
    except UploadTooLarge as exc:  # the body was cut off at the cap (core/upload_limits.py)
        raise ApplicationError("invalid", str(exc)) from None
    if upload is None:
        raise ApplicationError("invalid", "Choose a file to attach.")
    if upload.size > MAX_BYTES:
        raise ApplicationError("invalid", "Attachments are at most 20 MB.")
    services.attachment_add(actor=request.user, report=report, data=upload.read(), name=upload.name)
    messages.success(request, "Attached.")
    return redirect("report_page", report_id=report_id)


@login_required
@require_GET
def attachment_view(request, report_id: int, attachment_id: int):
    """An attachment, to whoever may see its report, from private storage (it was checked and re-encoded
    on the way in; served as the type found then, never sniffed)."""
    report = _report_for(request, report_id)
    attachment = get_object_or_404(report.attachments, pk=attachment_id)
    response = serve_file(request, attachment.file, attachment.content_type)
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_POST
@refusals_as_messages(back=_back)
def report_dispute(request, report_id: int):
    report = _report_for(request, report_id)
    form = DisputeForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("invalid", "Say in 1 to 2,000 characters what is wrong.")
    services.dispute_create(artist=request.user, report=report, message=form.cleaned_data["message"])
    messages.success(request, "Disputed: someone other than the person who decided answers, with reasons.")
    return redirect("report_page", report_id=report_id)


@staff_page(admin_only=False)
@require_POST
@refusals_as_messages(back=_back)
def report_triage(request, report_id: int):
    report = _report_for(request, report_id)
    form = TriageForm(request.POST, kind=report.kind)
    if not form.is_valid():
        raise ApplicationError("invalid", "Choose an outcome.")
    data = form.cleaned_data
    services.report_triage(
        actor=request.user, report=report, outcome=data["outcome"], reason=data["reason"],
        duplicate_of=data["duplicate_of"], severity=data.get("severity") or None,
        staff_note=data["staff_note"] if "staff_note" in request.POST else None,
    )  # fmt: skip
    messages.success(request, "Triaged; the reporter is told.")
    return redirect(safe_next(request, reverse("report_page", kwargs={"report_id": report_id})))


@staff_page(admin_only=False)
@require_POST
@refusals_as_messages(back=_back)
def dispute_answer(request, report_id: int):
    report = _report_for(request, report_id)
    form = DisputeAnswerForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("invalid", "Give your reasons.")
    data = form.cleaned_data
    services.dispute_answer(
        actor=request.user, dispute=get_object_or_404(Dispute, report=report), answer=data["answer"],
        new_outcome=data["new_outcome"], raise_minor=data["raise_minor"] or 0, raise_credits=data["raise_credits"] or 0,
    )  # fmt: skip
    messages.success(request, "Answered; the answer is final and the artist is told.")
    return redirect("report_page", report_id=report_id)


@staff_page(admin_only=False)
@require_GET
def triage_board(request):
    form = TriageFilterForm(request.GET, cohorts=triage_cohorts(user=request.user))
    valid = form.is_valid()
    listed = paged(request, selectors.triage_reports(user=request.user, **form.cleaned_data)) if valid else None
    context = {"form": form, "reports": listed.page if listed else [], "paged": listed}
    return render(request, "feedback/triage.html", context, status=400 if form.errors else 200)


# --- Rate card and earnings -----------------------------------------------------------------------


@login_required
@require_GET
def rate_card(request):
    cards = [
        (cohort, selectors.rate_card_in_force(cohort=cohort)) for cohort in selectors.member_cohorts(user=request.user)
    ]
    return render(request, "feedback/rate_card.html", {"cards": cards, "format": format_minor})


@login_required
@require_GET
def earnings(request):
    entries = list(selectors.contributions_of(artist=request.user)[:200])
    months = selectors.earnings_per_month(artist=request.user)
    context = {
        "entries": [(entry, format_minor(entry.amount_minor, entry.currency) if entry.currency else "")
                    for entry in entries],
        "statements": selectors.statements_of(artist=request.user),
        "promotions": selectors.promotion_requests_for(artist=request.user),
        "chart": _earnings_chart(months),
    }  # fmt: skip
    return render(request, "feedback/earnings.html", context)


EARNINGS_CHART_WIDTH, EARNINGS_BARS_HEIGHT = 320, 120  # SVG units; CSS caps the drawn size (about 320 px tall)


def _amounts(money: dict[str, int]) -> str:
    return "; ".join(f"{format_minor(amount, currency)} {currency}" for currency, amount in sorted(money.items()))


def _earnings_chart(months) -> dict:
    """Bars of money earned per month as SVG coordinates, server-rendered, in the currency the artist earned
    most in (bars of different currencies would not compare); each bar's title and the table below give
    every currency, each in its own decimals. The drawing keeps one width whatever the number of months,
    so its labels stay the same size; with many months only every few are labelled."""
    if not months:
        return {}
    totals: dict[str, int] = {}
    for _, money, _ in months:
        for currency, amount in money.items():
            totals[currency] = totals.get(currency, 0) + amount
    charted = max(sorted(totals), key=lambda currency: totals[currency], default="")
    rows = [(month, money, money.get(charted, 0), credits) for month, money, credits in months]
    top = max(max(amount for _, _, amount, _ in rows), 1)
    slot = min(EARNINGS_CHART_WIDTH / len(rows), 64)
    label_every = max(1, math.ceil(36 / slot))  # a month's label is about 30 units wide
    return {
        "bars": [
            {"x": round(index * slot, 1), "height": round(amount / top * EARNINGS_BARS_HEIGHT, 1),
             "y": round(EARNINGS_BARS_HEIGHT - amount / top * EARNINGS_BARS_HEIGHT, 1), "month": month,
             "money": _amounts(money), "credits": credits, "labelled": index % label_every == 0}
            for index, (month, money, amount, credits) in enumerate(rows)
        ],
        "width": EARNINGS_CHART_WIDTH, "bar": round(max(slot * 0.8, 1), 1), "currency": charted,
    }  # fmt: skip


@login_required
@require_GET
def statement_csv(request, period: str):
    if not PERIOD.fullmatch(period):
        raise Http404
    text = exports.payouts_csv(period=period, artist=request.user)
    return csv_response(text, filename=f"vernissage-earnings-{period}.csv", excel=wants_excel(request))


@login_required
@require_POST
@refusals_as_messages(back="earnings")
def promotion_answer(request, promotion_id: int):
    promotion = get_object_or_404(PromotionRequest, pk=promotion_id, artist=request.user)
    form = PromotionAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Accept or decline the request.")
        return redirect("earnings")
    accept = form.cleaned_data["answer"] == "accept"
    services.promotion_request_answer(artist=request.user, promotion=promotion, accept=accept)
    messages.success(request, "Accepted: the fee is in your earnings." if accept else "Declined.")
    return redirect("earnings")


# --- Admin pages ----------------------------------------------------------------------------------


@staff_page()
def rate_cards_admin(request):
    cohorts = selectors.all_cohorts()
    form = RateCardForm(request.POST or None, cohorts=cohorts)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form):
            card = services.rate_card_publish(
                actor=request.user, cohort=next(c for c in cohorts if c.pk == form.cleaned_data["cohort"]),
                currency=form.cleaned_data["currency"], lines=form.lines(), note=form.cleaned_data["note"],
            )  # fmt: skip
            messages.success(request, f"Published {card}: reports filed from now on earn at it.")
            return redirect("rate_cards_admin")
    cards = [(cohort, selectors.rate_card_in_force(cohort=cohort)) for cohort in cohorts]
    context = {"form": form, "cards": cards, "format": format_minor}
    return render(request, "feedback/rate_cards_admin.html", context, status=400 if form.errors else 200)


@staff_page()
def payouts_admin(request):
    close_form = ClosePeriodForm(request.POST or None)
    if request.method == "POST" and close_form.is_valid():
        with refusals_on(close_form):
            closed = services.statements_close(actor=request.user, period=close_form.cleaned_data["period"])
            messages.success(request, f"Closed {len(closed)} statements.")
            return redirect("payouts_admin")
    statements = selectors.payout_statements()
    context = {"close_form": close_form, "statements": statements, "paid_form": MarkPaidForm()}
    return render(request, "feedback/payouts_admin.html", context, status=400 if close_form.errors else 200)


@staff_page()
@require_POST
@refusals_as_messages(back="payouts_admin")
def statement_paid(request, statement_id: int):
    form = MarkPaidForm(request.POST)
    if not form.is_valid():
        raise ApplicationError("invalid", "Give the payment's reference and date.")
    services.statement_mark_paid(
        actor=request.user, statement=get_object_or_404(PayoutStatement, pk=statement_id), **form.cleaned_data
    )
    messages.success(request, "Marked paid; the artist is told.")
    return redirect("payouts_admin")


@staff_page()
@require_GET
def payouts_csv(request, period: str):
    if not PERIOD.fullmatch(period):
        raise Http404
    text = exports.payouts_csv(period=period)
    return csv_response(text, filename=f"vernissage-payouts-{period}.csv", excel=wants_excel(request))


@staff_page()
def promotions_admin(request):
    form = PromotionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        publication = selectors.publication_by_public_id(form.cleaned_data["publication"])
        with refusals_on(form):
            if publication is None:
                raise ApplicationError("invalid", "No such publication.", fields={"publication": "unknown"})
            services.promotion_request_create(actor=request.user, publication=publication, use=form.cleaned_data["use"])
            messages.success(request, "Asked; the artist accepts or declines.")
            return redirect("promotions_admin")
    promotions = selectors.promotion_requests()
    return render(request, "feedback/promotions_admin.html", {"form": form, "promotions": promotions})
