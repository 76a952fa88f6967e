"""How a generation looks to the API's reader: one shape, made for an explicit viewer.

The API serializes through ``serialize_generations`` (Sentry's ``serialize(objects, user)`` is the
model): who is looking, and whether they may see staff-only fields, is said by the caller, never read
from a request inside a field. Webhook bodies do not come from here: generations.webhooks builds its
own, so an API field cannot silently change a signed contract.
"""

from __future__ import annotations

from collections.abc import Iterable

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generations.media import signed_url
from generations.models import Generation, StartImage
from generations.permissions import Viewer
from generations.pricing import adapters_of


class GenerationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    cohort = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    duration_s = serializers.FloatField()
    queue_position = serializers.SerializerMethodField()
    estimated_start = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    retry_of = serializers.SerializerMethodField()
    callback_url = serializers.CharField(read_only=True, help_text="Where the job's end is POSTed; empty for none.")
    adapters = serializers.SerializerMethodField(
        help_text="The LoRA adapters it renders with: its preset's own, then the style it picked."
    )
    mode = serializers.ChoiceField(choices=["text", "image"], read_only=True, help_text="text or image to video.")
    start_image = serializers.SerializerMethodField(help_text="The image it starts from; null for text to video.")
    image_fit = serializers.SerializerMethodField(help_text="crop or pad; null for text to video.")
    style = serializers.CharField(read_only=True, help_text="The style it picked; empty for none.")
    lane = serializers.ChoiceField(
        choices=Generation.Lane.values, read_only=True, help_text="paid, or relaxed: runs only on idle GPUs."
    )
    phase_ms = serializers.SerializerMethodField(
        help_text="Staff only: milliseconds per phase of a succeeded job (queue_wait, load, denoise, decode, "
        "encode, store, settle); null for others."
    )

    class Meta:
        model = Generation
        fields = [
            "id", "cohort", "prompt", "negative_prompt", "preset", "width", "height", "num_frames", "fps",
            "duration_s", "steps", "seed", "cost", "status", "progress", "queued_at", "started_at", "finished_at",
            "attempts", "gpu_seconds", "failure_message", "queue_position", "estimated_start", "video_url",
            "poster_url", "video_sha256", "retry_of", "phase_ms", "callback_url", "adapters", "mode", "start_image",
            "image_fit", "style", "lane",
        ]  # fmt: skip

    @property
    def viewer(self) -> Viewer:
        return self.context["viewer"]

    def get_queue_position(self, obj) -> int | None:
        return getattr(obj, "queue_position", None)

    @extend_schema_field({"type": ["string", "null"], "format": "date-time"})
    def get_estimated_start(self, obj) -> str | None:
        estimate = getattr(obj, "estimated_start", None)
        return estimate.isoformat() if estimate else None

    def _url(self, obj, kind) -> str | None:
        if not (obj.video if kind == "video" else obj.poster) or obj.deleted_at:
            return None
        return self.viewer.absolute(signed_url(obj, kind, viewer_id=self.viewer.user.pk))

    @extend_schema_field({"type": ["string", "null"], "format": "uri"})
    def get_video_url(self, obj) -> str | None:
        return self._url(obj, "video")

    @extend_schema_field({"type": ["string", "null"], "format": "uri"})
    def get_poster_url(self, obj) -> str | None:
        return self._url(obj, "poster")

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "weight": {"type": "number"}},
                "required": ["name", "weight"],
            },
        }
    )
    def get_adapters(self, obj) -> list[dict]:
        return adapters_of(obj.preset, obj.style)

    @extend_schema_field(
        {
            "type": ["object", "null"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "sha256": {"type": "string"},
                "width": {"type": "integer"},
                "height": {"type": "integer"},
                "url": {"type": ["string", "null"], "format": "uri"},
            },
            "required": ["id", "sha256", "width", "height", "url"],
        }
    )
    def get_start_image(self, obj) -> dict | None:
        image = obj.start_image if obj.start_image_id else None
        if image is None:
            return None
        url = None if obj.deleted_at else self.viewer.absolute(signed_url(obj, "image", viewer_id=self.viewer.user.pk))
        return {"id": str(image.public_id), "sha256": image.sha256, "width": image.width, "height": image.height,
                "url": url}  # fmt: skip

    @extend_schema_field({"type": ["string", "null"], "enum": ["crop", "pad", None]})
    def get_image_fit(self, obj) -> str | None:
        return obj.image_fit or None

    def get_phase_ms(self, obj) -> dict[str, float] | None:
        return obj.phase_ms if self.viewer.as_staff and obj.phase_ms else None

    @extend_schema_field({"type": ["string", "null"], "format": "uuid"})
    def get_retry_of(self, obj) -> str | None:
        return str(obj.retry_of.public_id) if obj.retry_of_id else None


class StaffAccessSerializer(serializers.Serializer):
    viewer = serializers.CharField(source="viewer.__str__", help_text="The staff member who opened the clip.")
    via = serializers.CharField(help_text="page, api, video, poster or review")
    at = serializers.DateTimeField()


class GenerationDetailSerializer(GenerationSerializer):
    staff_access = StaffAccessSerializer(
        many=True, source="staff_access_list", help_text="Every time staff opened this clip, newest first."
    )

    class Meta(GenerationSerializer.Meta):
        fields = [*GenerationSerializer.Meta.fields, "staff_access"]


def serialize_generations(generations: Iterable[Generation], *, viewer: Viewer) -> list[dict]:
    return GenerationSerializer(generations, many=True, context={"viewer": viewer}).data


def serialize_generation(generation: Generation, *, viewer: Viewer, detail: bool = False) -> dict:
    """One generation; ``detail`` adds its staff-access log (set ``staff_access_list`` on it first)."""
    serializer = GenerationDetailSerializer if detail else GenerationSerializer
    return serializer(generation, context={"viewer": viewer}).data


class StartImageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")

    class Meta:
        model = StartImage
        fields = ["id", "sha256", "width", "height", "content_type", "size_bytes", "created_at"]


def serialize_start_image(image: StartImage, *, viewer: Viewer) -> dict:
    return StartImageSerializer(image, context={"viewer": viewer}).data
