"""The reviews API: publication requests, the review queue, decisions, reason codes and the public gallery."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Cohort
from accounts.permissions import HasScopes, IsProgramAdmin
from accounts.throttles import PublicReadThrottle
from core.api_fields import QuerySerializer, StrictBooleanField, StrictCharField, StrictIntegerField, StrictSlugField
from core.client_ip import client_ip
from core.errors import ApplicationError
from core.pagination import CursorPagination, page_of, page_response
from core.periods import PERIOD
from generations.selectors import own_clip
from reviews import selectors, services
from reviews.exports import transparency_statements
from reviews.models import PublicationRequest
from reviews.permissions import CanReview, access_review_item
from reviews.serializers import (
    AppealInputSerializer,
    DecisionInputSerializer,
    PublicationPageSerializer,
    PublicationRequestCreatedSerializer,
    PublicationRequestInputSerializer,
    PublicationRequestPageSerializer,
    PublicationRequestSerializer,
    PublicationSerializer,
    QueueItemSerializer,
    QueuePageSerializer,
    ReasonCodeSerializer,
    StatementSerializer,
    TakeDownInputSerializer,
)

# --- Publication requests (the artist's) ---------------------------------------------------------


class RequestPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 20


def _own_request(request, request_id) -> PublicationRequest:
    found = selectors.own_request(artist=request.user, request_id=request_id)
    if found is None:
        raise Http404
    return found


class PublicationRequestListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    submission_methods = {"POST"}

    @property
    def required_scopes(self):
        return ["generations:write"] if self.request.method == "POST" else ["generations:read"]

    @extend_schema(
        operation_id="v1_publication_requests_list",
        responses=PublicationRequestPageSerializer,
        summary="Your publication requests, newest first, with every decision's statement of reasons",
    )
    def get(self, request):
        paginator = RequestPagination()
        page = paginator.paginate_queryset(selectors.requests_of(artist=request.user), request, view=self)
        return paginator.get_paginated_response(
            PublicationRequestSerializer(selectors.with_statements(page), many=True).data
        )

    @extend_schema(
        request=PublicationRequestInputSerializer,
        responses={201: PublicationRequestCreatedSerializer},
        summary="Ask for one of your rendered clips to be published (one open request per clip)",
    )
    def post(self, request):
        data = PublicationRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        generation = own_clip(user=request.user, public_id=values.pop("generation"))
        if generation is None:
            return Response(
                {
                    "error": {
                        "code": "invalid",
                        "message": "No such clip of yours.",
                        "fields": {"generation": "unknown"},
                    }
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        created = services.publication_request_create(artist=request.user, generation=generation, **values)
        return Response({"id": created.pk, "state": created.state}, status=status.HTTP_201_CREATED)


class PublicationRequestDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:read"]

    @extend_schema(responses=PublicationRequestSerializer, summary="One of your publication requests")
    def get(self, request, request_id: int):
        return Response(PublicationRequestSerializer(_own_request(request, request_id)).data)


class PublicationRequestWithdrawApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:write"]

    @extend_schema(request=None, responses=PublicationRequestSerializer, summary="Withdraw an open request")
    def post(self, request, request_id: int):
        services.publication_request_withdraw(actor=request.user, request=_own_request(request, request_id))
        return Response(PublicationRequestSerializer(_own_request(request, request_id)).data)


class PublicationRequestAppealApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:write"]

    @extend_schema(
        request=AppealInputSerializer,
        responses=PublicationRequestSerializer,
        summary="Appeal a rejection or a take-down, once, in the cohort's window; another reviewer decides, finally",
    )
    def post(self, request, request_id: int):
        data = AppealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.appeal_create(
            artist=request.user, request=_own_request(request, request_id), message=data.validated_data["message"]
        )
        return Response(PublicationRequestSerializer(_own_request(request, request_id)).data)


class PublicationRequestPublishApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:write"]

    @extend_schema(
        request=None,
        responses={201: PublicationRequestSerializer},
        summary="Publish a request staff did not decide before the deadline (where the cohort allows it)",
    )
    def post(self, request, request_id: int):
        services.publication_self_publish(artist=request.user, request=_own_request(request, request_id))
        return Response(
            PublicationRequestSerializer(_own_request(request, request_id)).data, status=status.HTTP_201_CREATED
        )


# --- The review queue (staff) --------------------------------------------------------------------


class QueuePagination(CursorPagination):
    ordering = ("deadline_at", "id")
    page_size = 50


class ReviewQueueApi(APIView):
    permission_classes = [IsAuthenticated, CanReview]

    class QueueQuerySerializer(QuerySerializer):
        cohort = StrictSlugField(max_length=64, required=False)
        state = serializers.ChoiceField(choices=[str(state) for state in PublicationRequest.OPEN], required=False)
        older_than_hours = StrictIntegerField(min_value=1, max_value=24 * 365, required=False)

    @extend_schema(
        parameters=[QueueQuerySerializer],
        responses=QueuePageSerializer,
        summary="Open requests you may review, most urgent first (another reviewer's claim is hidden)",
    )
    def get(self, request):
        query = self.QueueQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        queue = selectors.review_queue(reviewer=request.user, filters=selectors.QueueFilters(**query.validated_data))
        paginator = QueuePagination()
        page = paginator.paginate_queryset(queue, request, view=self)
        return paginator.get_paginated_response(QueueItemSerializer(page, many=True, context={"request": request}).data)


class ReviewClaimApi(APIView):
    permission_classes = [IsAuthenticated, CanReview]

    @extend_schema(
        request=None,
        responses={200: QueueItemSerializer, 204: None},
        summary="Claim the most urgent request for 15 minutes (your live claim again, renewed, if you hold one)",
    )
    def post(self, request):
        """204 when nothing is left to review. Claim again to renew the lease while you work."""
        claimed = services.review_claim_next(reviewer=request.user)
        if claimed is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(QueueItemSerializer(claimed, context={"request": request}).data)


class DecisionApi(APIView):
    permission_classes = [IsAuthenticated, CanReview]

    @extend_schema(
        request=DecisionInputSerializer,
        responses={201: StatementSerializer},
        summary="Decide a request you claimed: approve (publishes it), reject or request changes (with a reason)",
    )
    def post(self, request, request_id: int):
        """409 when someone decided it already or your claim lapsed."""
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = access_review_item(reviewer=request.user, request_id=request_id)
        decision = services.review_decide(reviewer=request.user, request=target, **data.validated_data)
        return Response(
            StatementSerializer(selectors.statement_of_reasons(decision)).data, status=status.HTTP_201_CREATED
        )


class ReasonCodeListApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicReadThrottle]

    @extend_schema(
        operation_id="v1_reason_codes_list",
        responses=page_of(ReasonCodeSerializer, "ReasonCodePage"),
        summary="The published reasons a clip may be refused or taken down for (no sign-in needed)",
    )
    def get(self, request):
        return page_response(
            request, self, selectors.reason_codes(), ReasonCodeSerializer, ordering=("code",), page_size=100
        )


class ReviewPolicySerializer(serializers.Serializer):
    deadline_hours = StrictIntegerField(min_value=1, max_value=24 * 365, help_text="Hours to decide a request in.")
    publish_after_deadline = StrictBooleanField(help_text="Artists may publish what was not decided in time.")
    appeal_window_days = StrictIntegerField(min_value=1, max_value=3650, help_text="Days to appeal a rejection in.")
    out_of_court_body = StrictCharField(
        max_length=300, allow_blank=True, help_text="The certified out-of-court dispute settlement body, and how."
    )


class ReviewPolicyApi(APIView):
    """A cohort's review policy (program admins): the deadline, what happens past it, the appeal window."""

    permission_classes = [IsAuthenticated, IsProgramAdmin]

    @extend_schema(responses=ReviewPolicySerializer, summary="A cohort's review policy (admins)")
    def get(self, request, cohort_id: int):
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        return Response(ReviewPolicySerializer(selectors.review_policy_of(cohort)).data)

    @extend_schema(
        request=ReviewPolicySerializer, responses=ReviewPolicySerializer, summary="Change a cohort's review policy"
    )
    def patch(self, request, cohort_id: int):
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        data = ReviewPolicySerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        policy = services.review_policy_save(
            actor=request.user, cohort=cohort, ip=client_ip(request), **data.validated_data
        )
        return Response(ReviewPolicySerializer(policy).data)


class TransparencyExportApi(APIView):
    """Statements of reasons per cohort and month, as the EU DSA Transparency Database takes them."""

    permission_classes = [IsAuthenticated, IsProgramAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", {"type": "string", "pattern": PERIOD.pattern}, OpenApiParameter.PATH, description="YYYY-MM"
            )
        ],
        responses=inline_serializer(
            "TransparencyExport", {"statements": serializers.ListField(child=serializers.DictField())}
        ),
        summary="A cohort's statements of reasons in a month, in the DSA Transparency Database's shape",
    )
    def get(self, request, cohort_id: int, period: str):
        if not PERIOD.fullmatch(period):
            raise ApplicationError("invalid", "The period is YYYY-MM.", fields={"period": "YYYY-MM"})
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        return Response(transparency_statements(cohort=cohort, period=period))


# --- Publications (public) -----------------------------------------------------------------------


class GalleryPagination(CursorPagination):
    ordering = ("-published_at", "-id")
    page_size = 24
    max_page_size = 100
    page_size_query_param = "page_size"


class PublicationListApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicReadThrottle]

    @extend_schema(
        operation_id="v1_publications_list",
        responses=PublicationPageSerializer,
        summary="The public gallery, newest first, with provenance (no sign-in needed)",
    )
    def get(self, request):
        paginator = GalleryPagination()
        page = paginator.paginate_queryset(selectors.gallery(), request, view=self)
        return paginator.get_paginated_response(
            PublicationSerializer(page, many=True, context={"request": request}).data
        )


class PublicationDetailApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicReadThrottle]

    @extend_schema(responses=PublicationSerializer, summary="One published clip with its provenance")
    def get(self, request, public_id):
        publication = get_object_or_404(selectors.gallery(), public_id=public_id)
        return Response(PublicationSerializer(publication, context={"request": request}).data)


class PublicationWithdrawApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:write"]

    @extend_schema(request=None, responses={204: None}, summary="Take your clip out of the gallery, at any time")
    def post(self, request, public_id):
        publication = get_object_or_404(selectors.publications_of(artist=request.user), public_id=public_id)
        services.publication_withdraw(actor=request.user, publication=publication)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublicationTakeDownApi(APIView):
    permission_classes = [IsAuthenticated, CanReview]

    @extend_schema(
        request=TakeDownInputSerializer,
        responses={204: None},
        summary="Take a published clip down, with a published reason; the artist is told why",
    )
    def post(self, request, public_id):
        data = TakeDownInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # CanReview has checked the role and the second factor; the service checks the cohort.
        publication = get_object_or_404(selectors.publication_pages(), public_id=public_id)
        services.publication_take_down(actor=request.user, publication=publication, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
