"""The reviews API's serializers: what the endpoints read and write, and how the schema names it."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from core.api_fields import NOT_BLANK, StrictBooleanField, StrictCharField, StrictSlugField, required_when
from core.pagination import page_of
from core.relations import related_or_none
from generations.media import signed_url
from reviews.models import Decision, Publication, PublicationRequest, ReasonCode


class ReasonCodeSerializer(serializers.ModelSerializer):
    ground_url = serializers.CharField(help_text="Where the clause is published; empty when not given.")

    class Meta:
        model = ReasonCode
        fields = ["code", "label", "description", "policy_clause", "ground", "category", "ground_url"]


class StatementSerializer(serializers.Serializer):
    """A statement of reasons (DSA Article 17): what was decided, on which facts and clause, whether any
    part was automated, and how and until when to appeal."""

    decision = serializers.CharField()
    outcome = serializers.CharField(help_text="approve, reject, request_changes or take_down.")
    stage = serializers.CharField(
        help_text="review or appeal (its final decision); take_down or take_down_appeal (its final decision: "
        "approve restores the clip, reject upholds the take-down)."
    )
    decided_at = serializers.DateTimeField()
    scope = serializers.CharField()
    facts = serializers.CharField(help_text="The reviewer's note.")
    reason = ReasonCodeSerializer(allow_null=True)
    automated = serializers.BooleanField()
    automation = serializers.CharField()
    appeal_until = serializers.DateTimeField(allow_null=True)
    redress = serializers.CharField()
    # The EU DSA Transparency Database's fields, with its values.
    id = serializers.CharField(help_text="This statement's id.")
    puid = serializers.CharField(help_text="The clip's id (the platform's unique id of the content).")
    decision_visibility = serializers.ListField(child=serializers.CharField(), help_text="Empty for an approval.")
    decision_visibility_other = serializers.CharField()
    decision_ground = serializers.CharField(help_text="DECISION_GROUND_INCOMPATIBLE_CONTENT or ..._ILLEGAL_CONTENT.")
    category = serializers.CharField(help_text="A STATEMENT_CATEGORY_ value, from the reason.")
    ground_url = serializers.CharField(help_text="Where the clause relied on is published.")
    content_type = serializers.ListField(child=serializers.CharField())
    source_type = serializers.CharField()
    automated_detection = serializers.BooleanField()
    automated_decision = serializers.CharField()
    territorial_scope = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166 country codes.")
    content_date = serializers.DateTimeField()
    redress_routes = serializers.ListField(
        child=serializers.CharField(), help_text="Internal appeal, out-of-court settlement, the courts."
    )


class PublicationRequestSerializer(serializers.ModelSerializer):
    generation = serializers.UUIDField(source="generation.public_id")
    cohort = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    statements = StatementSerializer(many=True, help_text="One per decision, oldest first.")
    appeal = serializers.SerializerMethodField()
    publication = serializers.SerializerMethodField()

    class Meta:
        model = PublicationRequest
        fields = [
            "id", "generation", "cohort", "title", "caption", "credit_line", "show_prompt", "state", "stage",
            "created_at", "deadline_at", "overdue_at", "closed_at", "statements", "appeal", "publication",
        ]  # fmt: skip

    def get_appeal(self, obj) -> dict | None:
        appeal = obj.appeal
        return {"message": appeal.message, "created_at": appeal.created_at.isoformat()} if appeal else None

    def get_publication(self, obj) -> str | None:
        publication = related_or_none(obj, "publication")
        return str(publication.public_id) if publication else None


class PublicationRequestInputSerializer(serializers.Serializer):
    generation = serializers.UUIDField(help_text="The generation's id, as the generations API shows it.")
    title = StrictCharField(min_length=1, max_length=120, validators=[NOT_BLANK])
    caption = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)
    credit_line = StrictCharField(
        max_length=120, required=False, default="", allow_blank=True, help_text="Your credit name by default."
    )
    show_prompt = StrictBooleanField(required=False, default=False)


class PublicationRequestCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()


class QueueItemSerializer(serializers.ModelSerializer):
    cohort = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    generation = serializers.UUIDField(source="generation.public_id")
    prompt = serializers.CharField(source="generation.prompt")
    artist = serializers.CharField(source="artist.__str__")
    claimed_by_you = serializers.SerializerMethodField()
    appeal_message = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()

    class Meta:
        model = PublicationRequest
        fields = [
            "id", "cohort", "generation", "prompt", "artist", "title", "caption", "credit_line", "show_prompt",
            "state", "stage", "created_at", "deadline_at", "lease_expires_at", "claimed_by_you", "appeal_message",
            "video_url", "poster_url",
        ]  # fmt: skip

    def get_claimed_by_you(self, obj) -> bool:
        return obj.claimed_by_id == self.context["request"].user.pk

    def get_appeal_message(self, obj) -> str | None:
        appeal = obj.appeal
        return appeal.message if appeal else None

    def _url(self, obj, kind) -> str | None:
        request = self.context["request"]
        if not self.get_claimed_by_you(obj):
            return None  # the clip opens to the reviewer who claimed it (and that opening is recorded)
        return request.build_absolute_uri(signed_url(obj.generation, kind, viewer_id=request.user.pk))

    def get_video_url(self, obj) -> str | None:
        return self._url(obj, "video")

    def get_poster_url(self, obj) -> str | None:
        return self._url(obj, "poster")


class DecisionInputSerializer(serializers.Serializer):
    # A refusal states its ground and the facts (reviews.services.queue.review_decide).
    schema_rules = [required_when("outcome", [Decision.Outcome.REJECT, Decision.Outcome.REQUEST_CHANGES],
                                  "reason_code", "note")]  # fmt: skip
    outcome = serializers.ChoiceField(
        choices=Decision.OUTCOMES_AT["review"], help_text="On a take-down's appeal, approve (restore) or reject only."
    )
    # No default: '' would not match the field's own pattern, which strict schema validators refuse.
    reason_code = StrictSlugField(
        max_length=40, required=False, allow_blank=True, help_text="Required to reject or request changes."
    )
    note = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)

    def validate(self, data):
        data.setdefault("reason_code", "")
        if data["outcome"] != Decision.Outcome.APPROVE and not data["reason_code"]:
            raise serializers.ValidationError({"reason_code": "Choose a reason from GET /api/v1/reason-codes/."})
        return data


class AppealInputSerializer(serializers.Serializer):
    message = StrictCharField(
        min_length=1, max_length=2000, help_text="Why the decision should change.", validators=[NOT_BLANK]
    )


class TakeDownInputSerializer(serializers.Serializer):
    reason_code = StrictSlugField(max_length=40)
    note = StrictCharField(
        min_length=1, max_length=2000, validators=[NOT_BLANK],
        help_text="The facts: what in the clip led to taking it down. The artist reads it.",
    )  # fmt: skip


class PublicationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    title = serializers.CharField(source="request.title")
    caption = serializers.CharField(source="request.caption")
    credit_line = serializers.CharField(source="request.credit_line")
    prompt = serializers.SerializerMethodField(help_text="Only when the artist chose to show it.")
    video_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    reviewed = serializers.SerializerMethodField(help_text="False: published by the artist after the deadline.")
    decided_at = serializers.SerializerMethodField()
    model = serializers.CharField(source="provenance.model")
    preset = serializers.CharField(source="provenance.preset")
    seed = serializers.IntegerField(source="provenance.seed")
    parameters = serializers.DictField(source="provenance.parameters")
    platform_version = serializers.CharField(source="provenance.platform_version")

    class Meta:
        model = Publication
        fields = [
            "id", "title", "caption", "credit_line", "prompt", "video_url", "poster_url", "video_sha256",
            "model", "preset", "seed", "parameters", "platform_version", "reviewed", "decided_at", "published_at",
        ]  # fmt: skip

    def get_prompt(self, obj) -> str | None:
        return obj.request.generation.prompt if obj.request.show_prompt else None

    def _url(self, obj, kind) -> str | None:
        field = obj.video if kind == "video" else obj.poster
        if not field or not obj.is_public:
            return None
        path = reverse("gallery_media", kwargs={"public_id": obj.public_id, "kind": kind})
        return self.context["request"].build_absolute_uri(path)

    def get_video_url(self, obj) -> str | None:
        return self._url(obj, "video")

    def get_poster_url(self, obj) -> str | None:
        return self._url(obj, "poster")

    def get_reviewed(self, obj) -> bool:
        return not obj.unreviewed

    def get_decided_at(self, obj) -> str | None:
        return obj.decision.decided_at.isoformat() if obj.decision_id else None


PublicationRequestPageSerializer = page_of(PublicationRequestSerializer, "PublicationRequestPageSerializer")
QueuePageSerializer = page_of(QueueItemSerializer, "QueuePageSerializer")
PublicationPageSerializer = page_of(PublicationSerializer, "PublicationPageSerializer")
