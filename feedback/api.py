"""The feedback API: reports, comments, attachments, triage, the rate card, contributions and the payout CSV."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasScopes, IsProgramAdmin
from core.api_fields import (
    NOT_BLANK,
    QuerySerializer,
    StrictCharField,
    StrictIntegerField,
    StrictSlugField,
    required_when,
)
from core.csv_files import csv_response
from core.errors import ApplicationError
from core.pagination import CursorPagination, page_of
from core.periods import PERIOD
from feedback import selectors, services
from feedback.exports import payouts_csv
from feedback.markup import render_markdown
from feedback.models import SEVERITY_CHOICES, ContributionEntry, Report
from feedback.money import format_minor
from feedback.permissions import access_report, reports_for
from reviews.permissions import CanReview, review_powers


class CommentSerializer(serializers.Serializer):
    author = serializers.CharField(source="author.__str__")
    by_staff = serializers.BooleanField()
    body_html = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_body_html(self, obj) -> str:
        return render_markdown(obj.body)


class ReportSerializer(serializers.ModelSerializer):
    cohort = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    reporter = serializers.CharField(source="reporter.__str__")
    body_html = serializers.SerializerMethodField(help_text="The Markdown body, rendered safely.")
    duplicate_of = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    generations = serializers.SerializerMethodField()
    rate_card_version = serializers.SerializerMethodField(help_text="The rate card version the report earns at.")
    votes = serializers.IntegerField(source="vote_count", default=0)

    class Meta:
        model = Report
        fields = [
            "id", "cohort", "reporter", "kind", "title", "body", "body_html", "severity", "state", "duplicate_of",
            "outcome_reason", "generations", "rate_card_version", "votes", "created_at", "triaged_at",
        ]  # fmt: skip

    def get_body_html(self, obj) -> str:
        return render_markdown(obj.body)

    def get_rate_card_version(self, obj) -> int | None:
        return obj.rate_card.version if obj.rate_card_id else None

    def get_generations(self, obj) -> list[str]:
        return [context["id"] for context in obj.context]


class ReportDetailSerializer(ReportSerializer):
    comments = CommentSerializer(many=True)
    attachments = serializers.SerializerMethodField()
    awards = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "comments", "attachments", "awards"]

    def get_attachments(self, obj) -> list[dict]:
        return [
            {"name": a.original_name, "content_type": a.content_type, "size": a.size} for a in obj.attachments.all()
        ]

    def get_awards(self, obj) -> list[dict]:
        return ContributionSerializer(obj.entries.all(), many=True).data


class StaffReportSerializer(ReportDetailSerializer):
    """What staff see besides: the staff-only note and the linked clips' context as filed."""

    staff_note = serializers.CharField()
    context = serializers.JSONField()

    class Meta(ReportDetailSerializer.Meta):
        fields = [*ReportDetailSerializer.Meta.fields, "staff_note", "context"]


class ReportInputSerializer(serializers.Serializer):
    cohort = StrictSlugField(max_length=64, required=False, help_text="Your cohort's slug; optional if you are in one.")
    kind = serializers.ChoiceField(choices=Report.Kind.values)
    title = StrictCharField(min_length=1, max_length=200, validators=[NOT_BLANK])
    body = StrictCharField(
        min_length=1, max_length=20000, help_text="Markdown; raw HTML is shown as text.", validators=[NOT_BLANK]
    )
    severity = serializers.ChoiceField(choices=SEVERITY_CHOICES, required=False, help_text="Required for bugs.")
    generations = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=10, help_text="Ids of your own generations."
    )


class CommentInputSerializer(serializers.Serializer):
    body = StrictCharField(min_length=1, max_length=10000, help_text="Markdown.", validators=[NOT_BLANK])


class TriageInputSerializer(serializers.Serializer):
    # As feedback.services.triage.report_triage checks them.
    schema_rules = [required_when("outcome", ["duplicate"], "duplicate_of", text=False),
                    required_when("outcome", ["wont_fix"], "reason")]  # fmt: skip
    outcome = serializers.ChoiceField(choices=services.OUTCOMES)
    duplicate_of = StrictIntegerField(min_value=1, required=False, help_text="The original, for duplicate.")
    reason = StrictCharField(
        max_length=2000, required=False, default="", allow_blank=True, help_text="The reporter sees it."
    )
    staff_note = StrictCharField(max_length=10000, required=False, allow_blank=True, help_text="Staff only.")
    severity = serializers.ChoiceField(
        choices=SEVERITY_CHOICES, required=False, help_text="A new severity (a bug's award follows it); needs a reason."
    )


class ContributionSerializer(serializers.ModelSerializer):
    report = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="Null for a promotion.")
    amount = serializers.SerializerMethodField(help_text="In the currency's major units, as text.")

    class Meta:
        model = ContributionEntry
        fields = [
            "id",
            "report",
            "promotion",
            "kind",
            "amount_minor",
            "amount",
            "currency",
            "credits",
            "reason",
            "created_at",
        ]

    def get_amount(self, obj) -> str | None:
        return format_minor(obj.amount_minor, obj.currency) if obj.currency else None


ReportPageSerializer = page_of(ReportSerializer, "ReportPageSerializer")
ContributionPageSerializer = page_of(ContributionSerializer, "ContributionPageSerializer")


class ReportPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


def _report(request, report_id) -> Report:
    return access_report(request, report_id, shaped=selectors.report_detail)


def _detail(request, report):
    staff = review_powers(request) and report.reporter_id != request.user.pk
    return (StaffReportSerializer if staff else ReportDetailSerializer)(report).data


class ReportListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    submission_methods = {"POST"}
    required_scopes = {"POST": ["reports:write"]}

    @extend_schema(operation_id="v1_reports_list", responses=ReportPageSerializer, summary="Reports you may see")
    def get(self, request):
        paginator = ReportPagination()
        page = paginator.paginate_queryset(selectors.board(reports_for(request)), request, view=self)
        return paginator.get_paginated_response(ReportSerializer(page, many=True).data)

    @extend_schema(request=ReportInputSerializer, responses={201: ReportDetailSerializer}, summary="File a report")
    def post(self, request):
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        report = services.report_create(
            reporter=request.user, cohort_slug=values.get("cohort"), kind=values["kind"], title=values["title"],
            body=values["body"], severity=values.get("severity", ""),
            generation_ids=[str(value) for value in values.get("generations", [])],
        )  # fmt: skip
        return Response(ReportDetailSerializer(_report(request, report.pk)).data, status=status.HTTP_201_CREATED)


class ReportDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReportDetailSerializer, summary="One report with comments, attachments and awards")
    def get(self, request, report_id: int):
        return Response(_detail(request, _report(request, report_id)))


class ReportCommentApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["reports:write"]

    @extend_schema(request=CommentInputSerializer, responses={201: ReportDetailSerializer}, summary="Comment")
    def post(self, request, report_id: int):
        report = _report(request, report_id)
        data = CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        as_staff = review_powers(request) and report.reporter_id != request.user.pk
        services.report_comment(author=request.user, report=report, body=data.validated_data["body"], as_staff=as_staff)
        return Response(_detail(request, _report(request, report_id)), status=status.HTTP_201_CREATED)


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PNG, JPEG, WebP, MP4 or WebM; at most 20 MB; 5 per report.")


class ReportAttachmentApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["reports:write"]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={201: ReportDetailSerializer},
        summary="Attach a file to your report (checked by content; images re-encoded without metadata)",
    )
    def post(self, request, report_id: int):
        report = _report(request, report_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("invalid", "Send the file in the field `file`.", fields={"file": "required"})
        if upload.size > 20 * 1024 * 1024:
            raise ApplicationError("invalid", "Attachments are at most 20 MB.", fields={"file": "too big"})
        services.attachment_add(actor=request.user, report=report, data=upload.read(), name=upload.name)
        return Response(_detail(request, _report(request, report_id)), status=status.HTTP_201_CREATED)


class ReportTriageApi(APIView):
    permission_classes = [IsAuthenticated, CanReview]

    @extend_schema(request=TriageInputSerializer, responses=StaffReportSerializer, summary="Triage a report")
    def post(self, request, report_id: int):
        report = _report(request, report_id)
        data = TriageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.report_triage(
            actor=request.user, report=report, outcome=values["outcome"], reason=values["reason"],
            duplicate_of=values.get("duplicate_of"), staff_note=values.get("staff_note"),
            severity=values.get("severity"),
        )  # fmt: skip
        return Response(StaffReportSerializer(_report(request, report_id)).data)


class RateCardApi(APIView):
    permission_classes = [IsAuthenticated]

    class RateCardQuerySerializer(QuerySerializer):
        cohort = StrictSlugField(max_length=64, required=False)

    @extend_schema(
        parameters=[RateCardQuerySerializer],
        responses=dict,
        summary="The rate card in force in your cohort: what each contribution earns",
    )
    def get(self, request):
        query = self.RateCardQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        slug = query.validated_data.get("cohort")
        cohorts = selectors.member_cohorts(user=request.user)  # one read; the slug picks among them
        cohort = next((cohort for cohort in cohorts if not slug or cohort.slug == slug), None)
        if cohort is None:
            raise Http404
        card = selectors.rate_card_in_force(cohort=cohort)
        if card is None:
            return Response({"cohort": cohort.slug, "version": None, "currency": None, "lines": []})
        return Response(
            {
                "cohort": cohort.slug, "version": card.version, "currency": card.currency,
                "published_at": card.published_at,
                "lines": [
                    {"contribution": line.contribution, "label": line.get_contribution_display(),
                     "amount_minor": line.amount_minor, "credits": line.credits,
                     "amount": format_minor(line.amount_minor, card.currency)}
                    for line in card.lines.all()
                ],
            }
        )  # fmt: skip


class ContributionPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 100


class ContributionListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ContributionPageSerializer, summary="Your contribution ledger, newest first")
    def get(self, request):
        paginator = ContributionPagination()
        page = paginator.paginate_queryset(selectors.contributions_of(artist=request.user), request, view=self)
        return paginator.get_paginated_response(ContributionSerializer(page, many=True).data)


class PayoutExportApi(APIView):
    permission_classes = [IsAuthenticated, IsProgramAdmin]

    class ExportQuerySerializer(QuerySerializer):
        excel = serializers.BooleanField(
            required=False, default=False, help_text="Start with a UTF-8 byte-order mark, for Excel on Windows."
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", {"type": "string", "pattern": PERIOD.pattern}, OpenApiParameter.PATH, description="YYYY-MM"
            ),
            ExportQuerySerializer,
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Every artist's earnings in a period, from the ledger, as CSV",
    )
    def get(self, request, period: str):
        if not PERIOD.fullmatch(period):
            raise ApplicationError("invalid", "The period is YYYY-MM.", fields={"period": "YYYY-MM"})
        query = self.ExportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        return csv_response(
            payouts_csv(period=period), filename=f"vernissage-payouts-{period}.csv", excel=query.validated_data["excel"]
        )
