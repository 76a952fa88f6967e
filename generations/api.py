"""The generations API: submit, list, detail, cancel, retry, quote, credits."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, Cohort
from accounts.openapi import ErrorSerializer
from accounts.permissions import HasScopes
from core.api_fields import (
    NegativePromptField,
    PromptField,
    QuerySerializer,
    StrictCharField,
    StrictChoiceField,
    StrictFloatField,
    StrictIntegerField,
    StrictSlugField,
)
from core.errors import ApplicationError
from core.pagination import CursorPagination, page_of
from generations import selectors, services
from generations.models import Generation
from generations.permissions import generations_for, viewer_of
from generations.pricing import ASPECTS, presets, resolutions_for
from generations.serializers import (
    GenerationDetailSerializer,
    GenerationSerializer,
    StartImageSerializer,
    serialize_generation,
    serialize_generations,
    serialize_start_image,
)
from generations.services import start_images
from inference.presets import IMAGE_FITS


class QuoteSerializer(serializers.Serializer):
    """What a clip's price depends on; a submission sends the same fields.

    The values offered come from the presets (GET the schema again after the operator changes them);
    a preset offers some resolution and aspect pairs and, at each frame rate, some durations: a
    combination it does not offer is refused with the allowed values named."""

    duration_s = StrictFloatField(min_value=0.1, max_value=60, help_text="Seconds; the nearest offered length.")
    resolution = StrictChoiceField(choices=[], help_text="The short side in pixels.")
    aspect_ratio = StrictChoiceField(choices=list(ASPECTS), default="1:1")
    fps = StrictChoiceField(choices=[], required=False, help_text="Frames per second; the preset's first by default.")
    preset = StrictChoiceField(choices=[], default="tiny")
    lane = StrictChoiceField(
        choices=Generation.Lane.values, default=Generation.Lane.PAID,
        help_text="relaxed: queue it in your cohort's relaxed lane, where it runs only when no paid clip may, "
        "for the cohort's share of the price (often free), within a few queued and a few a day.",
    )  # fmt: skip
    cohort = StrictSlugField(max_length=64, required=False, help_text="Your cohort's slug; optional if you are in one.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offered = presets()
        sizes = [size for preset in offered.values() for size in resolutions_for(preset)]
        frame_rates = sorted({fps for preset in offered.values() for fps in preset.fps})
        self.fields["preset"].choices = sorted(offered)
        self.fields["resolution"].choices = sorted({short for short, *_ in sizes})
        self.fields["resolution"].error_messages["invalid_choice"] = "choose " + ", ".join(
            dict.fromkeys(f"{short}p {aspect}" for short, aspect, *_ in sorted(sizes))
        )
        self.fields["fps"].choices = frame_rates
        self.fields["fps"].error_messages["invalid_choice"] = "choose " + ", ".join(map(str, frame_rates))


class SubmitSerializer(QuoteSerializer):
    prompt = PromptField()
    negative_prompt = NegativePromptField(required=False, default="")
    seed = StrictIntegerField(min_value=0, max_value=2**31 - 1, required=False)
    start_image = serializers.UUIDField(
        required=False, allow_null=True,
        help_text="The `id` of an image you uploaded (POST /api/v1/images/): the clip starts from it. The preset "
        "must offer image to video (`modes` in GET /api/v1/presets/).",
    )  # fmt: skip
    image_fit = StrictChoiceField(
        choices=list(IMAGE_FITS), default="crop",
        help_text="How the start image meets the clip's size: crop fills the frame and cuts the overflow evenly; "
        "pad keeps the whole image with black bars.",
    )  # fmt: skip
    style = StrictCharField(
        max_length=64, required=False, default="", allow_blank=True,
        help_text="One of the preset's styles (LoRA adapters) your cohort allows; empty for none.",
    )  # fmt: skip
    callback_url = StrictCharField(
        max_length=2000, required=False, allow_blank=True,
        help_text="HTTPS URL the platform POSTs the job to when it ends (succeeded, failed or canceled), signed "
        "with your token's webhook secret; see docs/api.md, Webhooks. Public addresses only.",
    )  # fmt: skip


class QuoteResultSerializer(serializers.Serializer):
    cost = serializers.IntegerField(help_text="Credits, in the lane asked for (a relaxed clip costs its share).")
    lane = serializers.ChoiceField(choices=Generation.Lane.values)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    num_frames = serializers.IntegerField()
    fps = serializers.IntegerField()
    duration_s = serializers.FloatField()
    steps = serializers.IntegerField()


def cohort_for(user, slug: str | None) -> Cohort:
    return services.only_choice(selectors.artist_cohort_named(user=user, slug=slug), cohort_slug=slug)


GenerationPageSerializer = page_of(GenerationSerializer, "GenerationPage")


class GenerationPagination(CursorPagination):
    ordering = ("-queued_at", "-id")
    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"


class GenerationListCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    submission_methods = {"POST"}  # counted by leak containment (accounts.leaks)

    @property
    def required_scopes(self):
        return ["generations:write"] if self.request.method == "POST" else ["generations:read"]

    class ListQuerySerializer(QuerySerializer):
        status = serializers.ChoiceField(choices=Generation.Status.values, required=False)
        page_size = StrictIntegerField(min_value=1, max_value=100, required=False)

    @extend_schema(
        operation_id="v1_generations_list",
        parameters=[ListQuerySerializer],
        responses=GenerationPageSerializer,
        summary="Your generations (staff: their cohorts'), newest first, a page at a time",
        description="Follow `next` and `previous` for more; the cursor in them is opaque.",
    )
    def get(self, request):
        query = self.ListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        generations = selectors.clips_listed(generations_for(request), status=query.validated_data.get("status"))
        paginator = GenerationPagination()
        page = selectors.with_queue_estimates(paginator.paginate_queryset(generations, request, view=self))
        services.staff_access_record_list(viewer=request.user, generations=page)  # others' prompts, shown to them
        return paginator.get_paginated_response(serialize_generations(page, viewer=viewer_of(request)))

    @extend_schema(
        request=SubmitSerializer,
        responses={
            201: GenerationSerializer,
            200: GenerationSerializer,
            422: OpenApiResponse(ErrorSerializer, "The Idempotency-Key was used before for a different request."),
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "maxLength": 200},
                OpenApiParameter.HEADER,
                required=False,
                description="Up to 200 characters; the same key with the same request returns the first submission "
                "(200); with a different request it is refused (422, `idempotency_key_reused`).",
            )
        ],
        summary="Submit a prompt; credits are reserved at once",
    )
    def post(self, request):
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        key = request.headers.get("Idempotency-Key") or None
        token = request.auth if isinstance(request.auth, ApiToken) else None
        generation, created = services.generation_submit(
            artist=request.user,
            cohort_slug=values.pop("cohort", None),
            idempotency_key=key,
            callback_token=token,
            **values,
        )
        # The queue position is read on GET (list and detail); computing it here would scan the queue per submission.
        body = serialize_generation(generation, viewer=viewer_of(request))
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _generation(request, public_id) -> Generation:
    return get_object_or_404(selectors.clips_listed(generations_for(request)), public_id=public_id)


class GenerationDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:read"]

    @extend_schema(
        responses=GenerationDetailSerializer,
        summary="One generation, with signed, expiring media URLs and every staff access to it",
    )
    def get(self, request, public_id):
        generation = selectors.with_queue_estimate(_generation(request, public_id))
        services.staff_access_record(viewer=request.user, generation=generation, via="api")
        generation.staff_access_list = selectors.staff_access_to(generation=generation)
        return Response(serialize_generation(generation, viewer=viewer_of(request), detail=True))


class GenerationCancelApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:write"]

    @extend_schema(
        request=None, responses=GenerationSerializer, summary="Cancel: queued at once, running within a step"
    )
    def post(self, request, public_id):
        generation = services.generation_cancel(actor=request.user, generation=_generation(request, public_id))
        return Response(serialize_generation(generation, viewer=viewer_of(request)))


class GenerationRetryApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    submission_methods = {"POST"}
    required_scopes = ["generations:write"]

    @extend_schema(
        request=None, responses={201: GenerationSerializer}, summary="Run a failed or canceled generation again"
    )
    def post(self, request, public_id):
        original = _generation(request, public_id)
        retried = services.generation_retry(actor=request.user, generation=original)
        return Response(serialize_generation(retried, viewer=viewer_of(request)), status=status.HTTP_201_CREATED)


class QuoteApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:read"]

    @extend_schema(request=QuoteSerializer, responses=QuoteResultSerializer, summary="What a generation would cost")
    def post(self, request):
        data = QuoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settings = dict(data.validated_data)
        slug, lane = settings.pop("cohort", None), settings["lane"]
        cohort = cohort_for(request.user, slug) if lane == Generation.Lane.RELAXED else None  # its price share
        render, cost = services.quote(**settings, cohort=cohort)
        return Response(
            {"cost": cost, "lane": lane, "width": render.width, "height": render.height,
             "num_frames": render.num_frames, "fps": render.fps, "duration_s": render.duration_s,
             "steps": render.steps}
        )  # fmt: skip


class LedgerEntrySerializer(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.IntegerField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    generation = serializers.SerializerMethodField()

    def get_generation(self, obj) -> str | None:
        return str(obj.generation.public_id) if obj.generation_id else None


class LedgerPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50


class CreditsApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:read"]

    class CreditsQuerySerializer(QuerySerializer):
        cohort = StrictSlugField(max_length=64, required=False, help_text="Your cohort's slug.")

    @extend_schema(
        parameters=[CreditsQuerySerializer],
        responses=inline_serializer(
            "Credits",
            {
                "cohort": serializers.SlugField(),
                "available": serializers.IntegerField(),
                "reserved": serializers.IntegerField(),
                "period_ends_at": serializers.DateTimeField(),
                "ledger": page_of(LedgerEntrySerializer, "LedgerPage")(),
            },
        ),
        summary="Your credits and their ledger",
    )
    def get(self, request):
        query = self.CreditsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        cohort = cohort_for(request.user, query.validated_data.get("cohort"))
        (account,) = selectors.credit_balances(user=request.user, cohort=cohort)
        paginator = LedgerPagination()
        entries = paginator.paginate_queryset(
            selectors.ledger_for(account=account), request, view=self
        )
        response = paginator.get_paginated_response(LedgerEntrySerializer(entries, many=True).data)
        response.data = {
            "cohort": cohort.slug, "available": account.available, "reserved": account.reserved,
            "period_ends_at": account.period_ends_at, "ledger": response.data,
        }  # fmt: skip
        return response


class StartImageUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PNG, JPEG or WebP; at most 10 MB and 40 megapixels.")


class StartImageCreateApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:write"]
    submission_methods = {"POST"}
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": StartImageUploadSerializer},
        responses={201: StartImageSerializer},
        summary="Upload a start image for image-to-video clips (checked by content, re-encoded without metadata)",
        description="Needs the scope `generations:write`; active artists. Send it as `start_image` with a "
        "submission; `sha256` is the hash of the stored image, the one the clip's provenance names.",
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("invalid", "Send the image in the field `file`.", fields={"file": "required"})
        if upload.size > start_images.MAX_BYTES:
            raise ApplicationError(
                "invalid", f"Start images are at most {start_images.MAX_BYTES // 1024 // 1024} MB.",
                fields={"file": f"{upload.size / 1024 / 1024:.1f} MB is too big"},
            )  # fmt: skip
        image = services.start_image_upload(artist=request.user, data=upload.read())
        return Response(serialize_start_image(image, viewer=viewer_of(request)), status=status.HTTP_201_CREATED)


class StartImageDetailApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:read"]

    @extend_schema(responses=StartImageSerializer, summary="One of your start images")
    def get(self, request, public_id):
        image = get_object_or_404(selectors.start_images_of(user=request.user), public_id=public_id)
        return Response(serialize_start_image(image, viewer=viewer_of(request)))


class PresetStyleSerializer(serializers.Serializer):
    name = serializers.CharField()
    weight = serializers.FloatField()
    cohorts = serializers.ListField(
        child=serializers.SlugField(), help_text="Your cohorts that allow it: send `style` only with one of them."
    )


class PresetSerializer(serializers.Serializer):
    name = serializers.CharField()
    model = serializers.CharField()
    modes = serializers.ListField(child=serializers.ChoiceField(choices=["text", "image"]))
    resolutions = serializers.ListField(
        child=inline_serializer(
            "PresetResolution",
            {
                "resolution": serializers.IntegerField(),
                "aspect_ratio": serializers.CharField(),
                "width": serializers.IntegerField(),
                "height": serializers.IntegerField(),
            },
        )
    )
    fps = serializers.ListField(child=serializers.IntegerField())
    durations_s = serializers.DictField(
        child=serializers.ListField(child=serializers.FloatField()), help_text="Durations offered at each frame rate."
    )
    default_steps = serializers.IntegerField()
    adapters = serializers.ListField(child=serializers.DictField(), help_text="Adapters every clip of it renders with.")
    styles = PresetStyleSerializer(many=True)


class PresetsApi(APIView):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["generations:read"]

    @extend_schema(
        responses=PresetSerializer(many=True),
        summary="What each preset makes: modes (text, image), sizes, durations, and the styles your cohorts allow",
    )
    def get(self, request):
        allowed = selectors.allowed_styles_by_cohort(user=request.user)
        return Response([_preset_body(preset, allowed) for _, preset in sorted(presets().items())])


def _preset_body(preset, allowed: dict[str, set[str]]) -> dict:
    """A preset as the API describes it; ``allowed``: the style names each of the caller's cohorts allows."""
    return {
        "name": preset.name, "model": preset.model_id or preset.name, "modes": list(preset.modes),
        "resolutions": [
            {"resolution": short, "aspect_ratio": aspect, "width": w, "height": h}
            for short, aspect, w, h in resolutions_for(preset)
        ],
        "fps": list(preset.fps),
        "durations_s": {str(fps): [round(n / fps, 2) for n in preset.frame_counts] for fps in preset.fps},
        "default_steps": preset.default_steps,
        "adapters": [{"name": a.name, "weight": a.weight} for a in preset.adapters],
        "styles": [
            {"name": style.name, "weight": style.weight,
             "cohorts": sorted(slug for slug, names in allowed.items() if style.name in names)}
            for style in preset.styles
        ],
    }  # fmt: skip
