"""The accounts API: thin views that validate, call a service or selector, and render."""

from __future__ import annotations

from django.db import models
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import ApiToken, Cohort, Membership
from accounts.permissions import HasScopes, IsProgramAdmin, SessionOnly, session_passed_mfa, staff_powers
from accounts.throttles import RevokeExposedThrottle
from core.api_fields import (
    NOT_BLANK,
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictIntegerField,
    StrictSlugField,
)
from core.client_ip import client_ip
from core.errors import ApplicationError
from core.pagination import page_of, page_response


def base_url(request) -> str:
    return request.build_absolute_uri("/")


# --- Me -----------------------------------------------------------------------------------------


class MeApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]

    class MeSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        display_name = serializers.CharField()
        role = serializers.CharField()
        memberships = serializers.ListField(child=serializers.DictField())
        consents = serializers.DictField()
        terms_pending = serializers.ListField(child=serializers.DictField())
        token = serializers.DictField(allow_null=True)

    @extend_schema(responses=MeSerializer, summary="The signed-in person, their roles, memberships and consents")
    def get(self, request):
        user = request.user
        token = request.auth if isinstance(request.auth, ApiToken) else None
        data = {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "memberships": [
                {
                    "cohort": {
                        "id": m.cohort.pk,
                        "slug": m.cohort.slug,
                        "name": m.cohort.name,
                        "status": m.cohort.status,
                    },
                    "role": m.role,
                    "status": m.status,
                    "status_reason": m.status_reason,
                }
                for m in selectors.memberships_of(user=user)
            ],
            "consents": selectors.consents_current(user=user),
            "terms_pending": [
                {"cohort": terms.cohort.slug, "version": terms.version}
                for terms in selectors.terms_pending_for(user=user)
            ],
            "token": {"prefix": token.prefix, "scopes": token.scopes, "expires_at": token.expires_at}
            if token
            else None,
        }
        return Response(self.MeSerializer(data).data)


# --- Tokens -------------------------------------------------------------------------------------


class TokenOutputSerializer(serializers.ModelSerializer):
    status = serializers.CharField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "status",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoked_reason",
            "suspended_at",
            "suspended_reason",
            "last_used_at",
            "last_used_ip",
            "last_used_user_agent",
        ]


class TokenListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]

    class TokenCreateInputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=80, validators=[NOT_BLANK])
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=ApiToken.Scope.choices),
            allow_empty=False,
            min_length=1,
            help_text="reviews:write and staff:all are for staff only.",
        )
        days = StrictIntegerField(min_value=1, max_value=365, required=False)

    class TokenCreatedSerializer(TokenOutputSerializer):
        token = serializers.CharField(help_text="The token itself. Shown this once; it is stored nowhere.")
        webhook_secret = serializers.CharField(
            help_text="Signs the webhooks of the jobs this token submits (HMAC-SHA256). Shown this once."
        )

        class Meta(TokenOutputSerializer.Meta):
            fields = [*TokenOutputSerializer.Meta.fields, "token", "webhook_secret"]

    @extend_schema(
        operation_id="v1_tokens_list", responses=page_of(TokenOutputSerializer, "TokenPage"),
        summary="Your API tokens, newest first",
    )  # fmt: skip
    def get(self, request):
        return page_response(
            request,
            self,
            selectors.tokens_for(user=request.user),
            TokenOutputSerializer,
            ordering=("-created_at", "-id"),
        )

    def get_permissions(self):
        # Listing works with a token; creating needs a signed-in session (a token cannot breed tokens).
        extra = [SessionOnly()] if self.request.method == "POST" else []
        return [*super().get_permissions(), *extra]

    @extend_schema(
        request=TokenCreateInputSerializer,
        responses={201: TokenCreatedSerializer},
        summary="Create a token (signed-in session only)",
    )
    def post(self, request):
        data = self.TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, plaintext = services.token_create(
            user=request.user, second_factor=session_passed_mfa(request), ip=client_ip(request), **data.validated_data
        )
        token.token = plaintext
        return Response(self.TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


def _token_for(request, token_id: int) -> ApiToken:
    """The owner's token, or any token for an admin; others get a 404, not a hint that it exists."""
    token = get_object_or_404(selectors.tokens_with_owner(), pk=token_id)
    if token.user_id != request.user.pk and not staff_powers(request, admin_only=True):
        raise ApplicationError("not_found", "No such token.", status=404)
    return token


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=TokenOutputSerializer,
        summary="Revoke a token (owner or admin)",
        description=(
            "Token scope: `tokens:write` to revoke another of your tokens (a token may always revoke itself); "
            "`staff:all` for an admin revoking someone else's."
        ),
    )
    def post(self, request, token_id: int):
        token = _token_for(request, token_id)
        acting = request.auth if isinstance(request.auth, ApiToken) else None
        if acting is not None and acting.pk != token.pk and ApiToken.Scope.TOKENS_WRITE not in acting.scopes:
            raise PermissionDenied(
                f"This token lacks the scope {ApiToken.Scope.TOKENS_WRITE}.", code="insufficient_scope"
            )
        reason = "revoked by its owner" if token.user_id == request.user.pk else f"revoked by {request.user.email}"
        token = services.token_revoke(actor=request.user, token=token, reason=reason, ip=client_ip(request))
        return Response(TokenOutputSerializer(token).data)


class TokenWebhookSecretApi(APIView):
    permission_classes = [IsAuthenticated]

    class WebhookSecretSerializer(serializers.Serializer):
        webhook_secret = serializers.CharField(
            help_text="The new secret. Shown this once; the old one signs too for 24 hours."
        )

    @extend_schema(
        request=None,
        responses=WebhookSecretSerializer,
        summary="Make a new webhook secret for your token",
        description=(
            "Who: the owner, signed in, or with that same token (no scope needed). Deliveries are signed with "
            "the new secret at once and, for 24 hours, with the old one too (two signatures)."
        ),
    )
    def post(self, request, token_id: int):
        token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
        acting = request.auth if isinstance(request.auth, ApiToken) else None
        if acting is not None and acting.pk != token.pk:
            raise PermissionDenied("A token may make a new webhook secret for itself only.", code="insufficient_scope")
        secret = services.token_webhook_secret_rotate(actor=request.user, token=token, ip=client_ip(request))
        return Response({"webhook_secret": secret})


class TokenReactivateApi(APIView):
    permission_classes = [IsAuthenticated, SessionOnly]

    @extend_schema(request=None, responses=TokenOutputSerializer, summary="Reactivate your suspended token")
    def post(self, request, token_id: int):
        token = services.token_reactivate(
            actor=request.user, token=_token_for(request, token_id), ip=client_ip(request)
        )
        return Response(TokenOutputSerializer(token).data)


class TokenRevokeExposedApi(APIView):
    """Public: whoever finds a leaked Vernissage token can revoke it here, without an account."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [RevokeExposedThrottle]

    class RevokeExposedInputSerializer(serializers.Serializer):
        token = StrictCharField(max_length=100, validators=[NOT_BLANK])

    @extend_schema(
        request=RevokeExposedInputSerializer, responses={200: dict}, summary="Revoke a token found in public"
    )
    def post(self, request):
        data = self.RevokeExposedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revoked = services.token_revoke_exposed(plaintext=data.validated_data["token"], ip=client_ip(request))
        message = (
            "The token is revoked and its owner told. Thank you."
            if revoked
            else "No live Vernissage token matches; nothing to do."
        )
        return Response({"revoked": revoked, "message": message})


# --- Cohorts and invitations (admins) -------------------------------------------------------------


class CohortSerializer(serializers.ModelSerializer):
    # Text and dates as JSON strings only (DRF would take a number for either).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.DateField: StrictDateField,
        models.PositiveIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
    }

    class Meta:
        model = Cohort
        fields = ["id", *Cohort.EDITABLE_FIELDS, "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "name": {"validators": [NOT_BLANK]},
            # A taken slug is a conflict (409), decided by the database when the cohort is saved.
            "slug": {"validators": []},
            "leak_max_addresses": {"min_value": 1},
            "leak_address_window_minutes": {"min_value": 1},
            "leak_max_submissions_per_minute": {"min_value": 1},
        }

    def validate(self, attrs):
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": "must not be before starts_on"})
        return attrs


class CohortListCreateApi(APIView):
    permission_classes = [IsAuthenticated, IsProgramAdmin]

    @extend_schema(
        operation_id="v1_cohorts_list", responses=page_of(CohortSerializer, "CohortPage"),
        summary="All cohorts, newest first (admins)",
    )  # fmt: skip
    def get(self, request):
        return page_response(
            request, self, selectors.cohorts_for_admin(), CohortSerializer, ordering=("-created_at", "-id")
        )

    @extend_schema(request=CohortSerializer, responses={201: CohortSerializer}, summary="Create a cohort (admins)")
    def post(self, request):
        data = CohortSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cohort = services.cohort_create(actor=request.user, ip=client_ip(request), **data.validated_data)
        return Response(CohortSerializer(cohort).data, status=status.HTTP_201_CREATED)


class CohortDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsProgramAdmin]

    @extend_schema(responses=CohortSerializer, summary="One cohort (admins)")
    def get(self, request, cohort_id: int):
        return Response(CohortSerializer(get_object_or_404(Cohort, pk=cohort_id)).data)

    @extend_schema(
        request=CohortSerializer, responses=CohortSerializer, summary="Change a cohort; status paused pauses it"
    )
    def patch(self, request, cohort_id: int):
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        data = CohortSerializer(cohort, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        cohort = services.cohort_update(actor=request.user, cohort=cohort, ip=client_ip(request), **data.validated_data)
        return Response(CohortSerializer(cohort).data)


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    sent_count = serializers.IntegerField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class CohortInvitationsApi(APIView):
    permission_classes = [IsAuthenticated, IsProgramAdmin]

    class InvitationsInputSerializer(serializers.Serializer):
        emails = serializers.ListField(
            child=StrictCharField(max_length=320), allow_empty=False, min_length=1, max_length=1000
        )
        role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.ARTIST)

    class InvitationRowSerializer(serializers.Serializer):
        email = serializers.CharField()
        result = serializers.ChoiceField(choices=list(services.InvitationRow.LABELS))
        message = serializers.CharField(allow_blank=True)
        invitation_id = serializers.IntegerField(allow_null=True)
        link = serializers.CharField(allow_blank=True, help_text="The invitation link, shown this once.")

    @extend_schema(
        operation_id="v1_cohorts_invitations_list", responses=page_of(InvitationSerializer, "InvitationPage"),
        summary="A cohort's invitations, newest first",
    )  # fmt: skip
    def get(self, request, cohort_id: int):
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        invitations = selectors.invitations_of(cohort=cohort)
        return page_response(request, self, invitations, InvitationSerializer, ordering=("-created_at", "-id"))

    @extend_schema(
        request=InvitationsInputSerializer,
        responses={201: InvitationRowSerializer(many=True)},
        summary="Invite one or many addresses",
    )
    def post(self, request, cohort_id: int):
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        data = self.InvitationsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = services.invitations_create(
            actor=request.user, cohort=cohort, base_url=base_url(request), ip=client_ip(request), **data.validated_data
        )
        body = [
            {
                "email": row.email,
                "result": row.result,
                "message": row.message,
                "invitation_id": row.invitation.pk if row.invitation else None,
                "link": row.link,
            }
            for row in rows
        ]
        return Response(self.InvitationRowSerializer(body, many=True).data, status=status.HTTP_201_CREATED)
