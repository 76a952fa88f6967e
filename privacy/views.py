"""The artist's data page (export everything, erase the account), what is kept and why, and the staff
tool that builds an export at an artist's request. Thin: a service does the work, a task builds the
archive."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import has_totp, staff_page, staff_powers
from core.client_ip import client_ip
from core.pages import refusals_as_messages, refusals_on
from generations.media import sends_first_byte, serve_file
from privacy import selectors, services
from privacy.forms import ErasureForm, StaffExportForm
from privacy.models import DataExport


def _exports_context(request) -> dict:
    """The person's exports, each ready one with its download signature, and whether one is being built."""
    exports = list(selectors.exports_of(user=request.user))
    for export in exports:
        export.signature = services.download_signature(export) if export.state == DataExport.State.READY else ""
    return {"exports": exports, "building": any(export.state in DataExport.ACTIVE for export in exports)}


@login_required
@require_GET
def data(request):
    if request.htmx:  # the exports table polls itself while one is built
        return render(request, "privacy/_exports.html", _exports_context(request))
    return _data_page(request)


def _data_page(request, *, form=None, status=200):
    context = {
        **_exports_context(request), "erasure": selectors.pending_erasure(user=request.user),
        "erasure_form": form or ErasureForm(second_factor=has_totp(request.user)),
    }  # fmt: skip
    return render(request, "privacy/data.html", context, status=status)


@login_required
@require_POST
@refusals_as_messages(back="privacy_data")
def export_create(request):
    services.export_request(user=request.user, ip=client_ip(request))
    messages.success(request, "Your export is being built. It appears below, and we email you when it is ready.")
    return redirect("privacy_data")


@login_required
@require_GET
@refusals_as_messages(back="privacy_data", not_found=True)
def export_download(request, public_id):
    export = selectors.export_of(user=request.user, public_id=public_id)
    if export is None:
        raise Http404("No such export.")
    services.export_for_download(
        user=request.user, export=export, signature=request.GET.get("signature", ""),
        staff_powers=staff_powers(request, admin_only=True),
    )  # fmt: skip
    response = serve_file(
        request, export.file, "application/zip", filename=f"vernissage-export-{export.created_at:%Y-%m-%d}.zip",
        sha256=export.sha256,
    )  # fmt: skip
    if sends_first_byte(request, response):
        services.export_downloaded(user=request.user, export=export, ip=client_ip(request))
    return response


@login_required
@require_POST
def erasure_create(request):
    form = ErasureForm(request.POST, second_factor=has_totp(request.user))
    if form.is_valid():
        with refusals_on(form):
            erasure = services.erasure_request(user=request.user, ip=client_ip(request), **form.cleaned_data)
            logout(request)  # signing in again is how to change one's mind: it cancels the erasure
            messages.success(
                request, f"Your account will be erased on {erasure.erase_after:%Y-%m-%d} (UTC). You are signed out; "
                "signing in before then cancels the erasure.",
            )  # fmt: skip
            return redirect("privacy_kept")
    return _data_page(request, form=form, status=400)


@login_required
@require_POST
def erasure_cancel(request):
    if services.erasure_cancel(user=request.user, reason="you cancelled it", ip=client_ip(request)):
        messages.success(request, "Cancelled: your account will not be erased.")
    return redirect("privacy_data")


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_exports(request):
    form = StaffExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        artist = form.cleaned_data["email"]
        with refusals_on(form):
            services.export_request(user=artist, requested_by=request.user, ip=client_ip(request))
            messages.success(request, f"Building {artist.email}'s export; they are emailed when it is ready.")
            return redirect("staff_exports")
    exports = selectors.staff_exports()
    for export in exports:  # the staff member who built one may download it, to hand it over
        mine = export.requested_by_id == request.user.pk and export.state == DataExport.State.READY
        export.signature = services.download_signature(export) if mine else ""
    return render(
        request, "privacy/staff_exports.html", {"form": form, "exports": exports}, status=400 if form.errors else 200
    )


@require_GET
def kept(request):
    """What an export holds, what erasure removes, and what is kept and why: readable before asking."""
    return render(request, "privacy/kept.html")
