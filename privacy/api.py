"""The export API: ask for an archive of everything you have here, follow it, download it."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.openapi import ErrorSerializer
from accounts.permissions import HasScopes, staff_powers
from core.api_fields import StrictCharField
from core.client_ip import client_ip
from generations.media import sends_first_byte, serve_file
from privacy import selectors, services
from privacy.models import DataExport, ErasureRequest

EXPORT_SCOPE = "account:export"


class ExportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.ChoiceField(choices=DataExport.State.values)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="The download link works until then.")
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="Of the whole ZIP; empty until ready.")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="What the manifest holds, by kind.")
    requested_by_staff = serializers.BooleanField()
    download_url = serializers.CharField(allow_null=True, help_text="A signed link, while the export is ready.")


def export_body(export: DataExport) -> dict:
    ready = export.state == DataExport.State.READY
    return {
        "id": export.public_id, "state": export.state, "progress": export.progress,
        "created_at": export.created_at, "finished_at": export.finished_at, "expires_at": export.expires_at,
        "size_bytes": export.size_bytes, "sha256": export.sha256, "counts": export.counts,
        "requested_by_staff": export.requested_by_id is not None and export.requested_by_id != export.user_id,
        "download_url": download_url(export) if ready else None,
    }  # fmt: skip


def download_url(export: DataExport) -> str:
    return f"/api/v1/me/exports/{export.public_id}/download/?signature={services.download_signature(export)}"


class ExportListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = [EXPORT_SCOPE]

    @extend_schema(responses=ExportSerializer(many=True), summary="Your exports, newest first")
    def get(self, request):
        return Response([export_body(export) for export in selectors.exports_of(user=request.user)])

    @extend_schema(
        request=None,
        responses={
            202: ExportSerializer,
            409: OpenApiResponse(ErrorSerializer, "An export is already being built."),
            429: OpenApiResponse(ErrorSerializer, "Three exports a day at most."),
        },
        summary="Ask for an archive of everything you have here (built in the background; email when ready)",
    )
    def post(self, request):
        export = services.export_request(user=request.user, ip=client_ip(request))
        return Response(export_body(export), status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = [EXPORT_SCOPE]

    @extend_schema(responses=ExportSerializer, summary="One export: its state, progress and, when ready, its link")
    def get(self, request, public_id):
        export = selectors.export_of(user=request.user, public_id=public_id)
        if export is None:
            raise Http404
        return Response(export_body(export))


class ExportDownloadApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = [EXPORT_SCOPE]

    @extend_schema(
        parameters=[OpenApiParameter("signature", str, required=True, description="From `download_url`.")],
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            403: OpenApiResponse(ErrorSerializer, "The builder's request lacks a second factor or staff:all."),
            404: OpenApiResponse(ErrorSerializer, "Not yours, or the link is not valid."),
            409: OpenApiResponse(ErrorSerializer, "Not ready yet."),
            410: OpenApiResponse(ErrorSerializer, "The export expired."),
        },
        summary="The ZIP itself (HTTP Range supported)",
    )
    def get(self, request, public_id):
        export = selectors.export_of(user=request.user, public_id=public_id)
        if export is None:
            raise Http404
        services.export_for_download(
            user=request.user, export=export, signature=request.query_params.get("signature", ""),
            staff_powers=staff_powers(request, admin_only=True),
        )  # fmt: skip
        response = serve_file(
            request._request, export.file, "application/zip",
            filename=f"vernissage-export-{export.created_at:%Y-%m-%d}.zip", sha256=export.sha256,
        )  # fmt: skip
        if sends_first_byte(request, response):
            services.export_downloaded(user=request.user, export=export, ip=client_ip(request))
        return response


class ErasureSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ErasureRequest.State.values)
    requested_at = serializers.DateTimeField()
    erase_after = serializers.DateTimeField(help_text="Signing in before then cancels the erasure.")


class ErasureInputSerializer(serializers.Serializer):
    password = StrictCharField(
        max_length=200, trim_whitespace=False, help_text="Your password: erasure is for you alone to ask."
    )
    code = StrictCharField(
        max_length=20, required=False, allow_blank=True, help_text="A code from your authenticator app, if you use one."
    )
    confirmation = serializers.ChoiceField(choices=[services.CONFIRMATION], help_text="The words, to confirm.")


def erasure_body(erasure: ErasureRequest) -> dict:
    return {"state": erasure.state, "requested_at": erasure.requested_at, "erase_after": erasure.erase_after}


class ErasureApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]

    @extend_schema(
        responses={200: ErasureSerializer, 404: OpenApiResponse(ErrorSerializer, "No erasure is pending.")},
        summary="Your pending erasure, if you asked for one",
    )
    def get(self, request):
        erasure = selectors.pending_erasure(user=request.user)
        if erasure is None:
            raise Http404
        return Response(erasure_body(erasure))

    @extend_schema(
        request=ErasureInputSerializer,
        responses={
            202: ErasureSerializer,
            400: OpenApiResponse(ErrorSerializer, "A field is missing, or the confirmation is not the words."),
            403: OpenApiResponse(ErrorSerializer, "The password or the authenticator code is wrong."),
            409: OpenApiResponse(ErrorSerializer, "An erasure is already pending."),
            429: OpenApiResponse(ErrorSerializer, "Five tries an hour."),
        },
        summary="Ask for your account to be erased after a 14-day grace period (signing in cancels it)",
        description="Who: you, signed in or with any of your tokens (no scope needed: the password and, where "
        "you use one, an authenticator code prove it is you). Download your export first (`POST "
        "/api/v1/me/exports/`): erasure removes your clips. What is kept, and why, is at /privacy/.",
    )
    def post(self, request):
        data = ErasureInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        erasure = services.erasure_request(user=request.user, ip=client_ip(request), **data.validated_data)
        return Response(erasure_body(erasure), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={200: ErasureSerializer, 404: OpenApiResponse(ErrorSerializer, "No erasure is pending.")},
        summary="Cancel your pending erasure",
        description="Who: you, signed in or with any of your tokens (no scope needed).",
    )
    def delete(self, request):
        erasure = services.erasure_cancel(user=request.user, reason="you cancelled it", ip=client_ip(request))
        if erasure is None:
            raise Http404
        return Response(erasure_body(erasure))
