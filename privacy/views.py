"""The artist's data page (export everything, and later erasure) and the staff tool that builds an
export at an artist's request. Thin: a service does the work, a task builds the archive."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.permissions import staff_page
from core.client_ip import client_ip
from core.errors import ApplicationError
from core.pages import refusals_as_messages
from generations.media import serve_file
from privacy import selectors, services
from privacy.models import DataExport


@login_required
@require_GET
def data(request):
    exports = list(selectors.exports_of(user=request.user))
    for export in exports:
        export.signature = services.download_signature(export) if export.state == DataExport.State.READY else ""
    building = any(export.state in DataExport.ACTIVE for export in exports)
    template = "privacy/_exports.html" if request.htmx else "privacy/data.html"
    return render(request, template, {"exports": exports, "building": building})


@login_required
@require_POST
@refusals_as_messages(back="privacy_data")
def export_create(request):
    services.export_request(user=request.user, ip=client_ip(request))
    messages.success(request, "Your export is being built. It appears below, and we email you when it is ready.")
    return redirect("privacy_data")


@login_required
@require_GET
def export_download(request, public_id):
    export = selectors.export_of(user=request.user, public_id=public_id)
    if export is None:
        raise Http404("No such export.")
    try:
        services.export_for_download(
            user=request.user, export=export, signature=request.GET.get("signature", ""), ip=client_ip(request)
        )
    except ApplicationError as refusal:
        if refusal.status == 404:
            raise Http404(refusal.message) from None
        messages.error(request, refusal.message)
        return redirect("privacy_data")
    return serve_file(
        request, export.file, "application/zip", filename=f"vernissage-export-{export.created_at:%Y-%m-%d}.zip",
        sha256=export.sha256,
    )  # fmt: skip


class StaffExportForm(forms.Form):
    email = forms.EmailField(label="The artist's email", help_text="Build their export at their request.")

    def clean_email(self):
        user = User.objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError("No account has this email.")
        return user


@staff_page()
@require_http_methods(["GET", "POST"])
def staff_exports(request):
    form = StaffExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        artist = form.cleaned_data["email"]
        try:
            services.export_request(user=artist, requested_by=request.user, ip=client_ip(request))
        except ApplicationError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, f"Building {artist.email}'s export; they are emailed when it is ready.")
            return redirect("staff_exports")
    exports = DataExport.objects.select_related("user", "requested_by")[:100]
    return render(
        request, "privacy/staff_exports.html", {"form": form, "exports": exports}, status=400 if form.errors else 200
    )


@require_GET
def kept(request):
    """What an export holds, what erasure removes, and what is kept and why: readable before asking."""
    return render(request, "privacy/kept.html")
