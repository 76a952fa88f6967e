"""Staff pages about cohorts, members, invitations, the audit log and the kill switches: admins only,
with two-factor used in the session (accounts.permissions.staff_page)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import (
    AuditFilterForm,
    BulkMembershipForm,
    CohortForm,
    GenerationPauseForm,
    InvitationsForm,
    MembershipActionForm,
    TermsPublishForm,
)
from accounts.models import Cohort, Invitation, Membership
from accounts.permissions import staff_page
from core.client_ip import client_ip
from core.pages import refusals_as_messages, refusals_on

PAGE_SIZE = 50


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_cohorts(request):
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form):
            cohort = services.cohort_create(actor=request.user, ip=client_ip(request), **form.cleaned_data)
            messages.success(request, f"Cohort {cohort.name} created.")
            return redirect("staff_cohort", cohort_id=cohort.pk)
    return render(
        request,
        "accounts/staff/cohorts.html",
        {"form": form, "cohorts": selectors.cohorts_for_admin(), "switches": selectors.program_switches()},
        status=400 if form.errors else 200,
    )


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_cohort(request, cohort_id: int):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = CohortForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        with refusals_on(form):
            services.cohort_update(actor=request.user, cohort=cohort, ip=client_ip(request), **form.cleaned_data)
            messages.success(request, "Saved.")
            return redirect("staff_cohort", cohort_id=cohort.pk)
    cohort.refresh_from_db()
    return render(
        request, "accounts/staff/cohort.html", {"cohort": cohort, "form": form}, status=400 if form.errors else 200
    )


# What each action of the members page does to a membership's status.
MEMBERSHIP_STATUS_OF_ACTION = {
    "suspend": Membership.Status.SUSPENDED, "reactivate": Membership.Status.ACTIVE, "remove": Membership.Status.REMOVED,
}  # fmt: skip


def _back_to_cohort(request, cohort_id: int) -> str:
    return reverse("staff_cohort", kwargs={"cohort_id": cohort_id})


def _cohort_status_action(status: str, done: str):
    """The pause, resume and close buttons of a cohort's page: one view each, alike but for the status."""

    @staff_page()
    @require_POST
    @refusals_as_messages(back=_back_to_cohort)
    def view(request, cohort_id: int):
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        services.cohort_update(actor=request.user, cohort=cohort, status=status, ip=client_ip(request))
        messages.success(request, f"{cohort.name} {done}.")
        return redirect("staff_cohort", cohort_id=cohort.pk)

    return view


staff_cohort_pause = _cohort_status_action(Cohort.Status.PAUSED, "is paused; queued clips wait")
staff_cohort_resume = _cohort_status_action(Cohort.Status.ACTIVE, "is active")
staff_cohort_close = _cohort_status_action(Cohort.Status.CLOSED, "is closed")


@staff_page()
@require_POST
@refusals_as_messages(back=_back_to_cohort)
def staff_cohort_revoke_tokens(request, cohort_id: int):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    count = services.tokens_revoke_for_cohort(actor=request.user, cohort=cohort, ip=client_ip(request))
    messages.success(request, f"Revoked {count} token{'s' if count != 1 else ''} of {cohort.name}'s members.")
    return redirect("staff_cohort", cohort_id=cohort.pk)


@staff_page()
@require_POST
@refusals_as_messages(back=_back_to_cohort)
def staff_cohort_publish_terms(request, cohort_id: int):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = TermsPublishForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""  # the service says what is missing
    terms = services.terms_publish(actor=request.user, cohort=cohort, body=body, ip=client_ip(request))
    messages.success(request, f"Terms version {terms.version} published; artists accept it before generating.")
    return redirect("staff_cohort", cohort_id=cohort.pk)


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_members(request, cohort_id: int):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    if request.method == "POST":
        form = MembershipActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a member and an action.")
            return redirect("staff_members", cohort_id=cohort.pk)
        return _member_action(request, cohort.pk, form)
    query = request.GET.get("q", "").strip()[:100]
    members = selectors.members_of(cohort=cohort, email_contains=query)
    return render(request, "accounts/staff/members.html", {"cohort": cohort, "members": members, "q": query})


@staff_page()
@require_POST
@refusals_as_messages(back=lambda request, cohort_id: reverse("staff_members", kwargs={"cohort_id": cohort_id}))
def staff_members_bulk(request, cohort_id: int):
    """One action on every ticked member, all or none (one transaction); each change audited as usual."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = BulkMembershipForm(request.POST, cohort=cohort)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("staff_members", cohort_id=cohort.pk)
    status = MEMBERSHIP_STATUS_OF_ACTION[form.cleaned_data["action"]]
    members = selectors.memberships_in(cohort_id=cohort.pk, pks=form.cleaned_data["memberships"])
    with transaction.atomic():
        for membership in members:
            services.membership_set_status(
                actor=request.user, membership=membership, status=status, reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )  # fmt: skip
    messages.success(request, f"{len(members)} member{'s' if len(members) != 1 else ''}: {status}.")
    return redirect("staff_members", cohort_id=cohort.pk)


@refusals_as_messages(back=lambda request, cohort_id, form: reverse("staff_members", kwargs={"cohort_id": cohort_id}))
def _member_action(request, cohort_id: int, form: MembershipActionForm):
    """The members page's form: one action, chosen in the form, on one membership of the cohort."""
    membership = get_object_or_404(
        selectors.memberships_in(cohort_id=cohort_id), pk=form.cleaned_data["membership"]
    )
    action, reason, ip = form.cleaned_data["action"], form.cleaned_data["reason"], client_ip(request)
    if action in ("suspend", "reactivate", "remove"):
        status = MEMBERSHIP_STATUS_OF_ACTION[action]
        services.membership_set_status(actor=request.user, membership=membership, status=status, reason=reason, ip=ip)
    elif action == "role":
        services.membership_set_role(actor=request.user, membership=membership, role=form.cleaned_data["role"], ip=ip)
    elif action == "suspend_account":
        services.user_suspend(actor=request.user, user=membership.user, reason=reason, ip=ip)
    elif action == "reactivate_account":
        services.user_reactivate(actor=request.user, user=membership.user, ip=ip)
    messages.success(request, f"{membership.user.email}: done.")
    return redirect("staff_members", cohort_id=cohort_id)


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_invitations(request, cohort_id: int):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    form = InvitationsForm(request.POST or None, request.FILES or None)
    rows = None
    if request.method == "POST" and form.is_valid():
        with refusals_on(form):
            rows = services.invitations_create(
                actor=request.user,
                cohort=cohort,
                emails=form.cleaned_data["all_emails"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
                ip=client_ip(request),
            )
            form = InvitationsForm()
    return render(
        request,
        "accounts/staff/invitations.html",
        {"cohort": cohort, "form": form, "rows": rows, "invitations": selectors.invitations_of(cohort=cohort)[:200]},
        status=400 if form.errors else 200,
    )


def _back_to_invitations(request, invitation_id: int) -> str:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    return reverse("staff_invitations", kwargs={"cohort_id": invitation.cohort_id})


@staff_page()
@require_POST
@refusals_as_messages(back=_back_to_invitations)
def staff_invitation_resend(request, invitation_id: int):
    invitation = get_object_or_404(selectors.invitations_with_cohort(), pk=invitation_id)
    base_url = request.build_absolute_uri("/")
    services.invitation_resend(actor=request.user, invitation=invitation, base_url=base_url, ip=client_ip(request))
    messages.success(request, f"Invitation to {invitation.email} sent again with a new link.")
    return redirect("staff_invitations", cohort_id=invitation.cohort_id)


@staff_page()
@require_POST
@refusals_as_messages(back=_back_to_invitations)
def staff_invitation_revoke(request, invitation_id: int):
    invitation = get_object_or_404(selectors.invitations_with_cohort(), pk=invitation_id)
    services.invitation_revoke(actor=request.user, invitation=invitation, ip=client_ip(request))
    messages.success(request, f"Invitation to {invitation.email} revoked.")
    return redirect("staff_invitations", cohort_id=invitation.cohort_id)


@staff_page()
def staff_audit(request):
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "actor": data["actor"],
            "cohort_id": data["cohort"].pk if data["cohort"] else None,
            "action": data["action"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    page = Paginator(selectors.audit_events(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/staff/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.errors else 200,
    )


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_switches(request):
    switches = selectors.program_switches()
    form = GenerationPauseForm(
        request.POST or None,
        initial={"generation_paused": switches.generation_paused, "reason": switches.generation_paused_reason},
    )
    if request.method == "POST" and form.is_valid():
        paused, reason = form.cleaned_data["generation_paused"], form.cleaned_data["reason"]
        if not selectors.pause_would_change(switches, paused=paused, reason=reason):
            messages.info(request, f"Nothing changed: generation is already {'paused' if paused else 'running'}.")
            return redirect("staff_switches")
        with refusals_on(form):  # the service's rule, shown on the field where the staff member acts
            services.generation_pause_set(actor=request.user, paused=paused, reason=reason, ip=client_ip(request))
            messages.success(request, "Generation paused for everyone." if paused else "Generation resumed.")
            return redirect("staff_switches")
    status = 400 if form.errors else 200
    return render(request, "accounts/staff/switches.html", {"switches": switches, "form": form}, status=status)
