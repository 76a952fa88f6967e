"""The studio's forms: settings that offer only what the chosen preset can render.

A preset renders some sizes (a resolution with an aspect ratio) and, at each frame rate, some frame
counts; the settings form offers exactly those, as pairs and as durations in seconds, so nothing
offered is then refused. The live price uses the same form as the submission.
"""

from __future__ import annotations

from django import forms

from accounts.models import User
from core.errors import ApplicationError
from generations import selectors, services
from generations.models import Generation, QuotaPolicy
from generations.pricing import cohort_styles, presets, resolutions_for


def _duration_value(frames: int, fps: int) -> str:
    return f"{frames / fps:g}"


def _preset_label(preset) -> str:
    return f"{preset.name} (prompt or image)" if "image" in preset.modes else preset.name


class SettingsForm(forms.Form):
    """Preset, size, frame rate, duration and style; the choices follow the preset and frame rate asked
    for, and the styles those the artist's cohort allows with that preset."""

    preset = forms.ChoiceField()
    size = forms.ChoiceField(label="Size")
    fps = forms.TypedChoiceField(coerce=int, label="Frames per second")
    duration_s = forms.TypedChoiceField(coerce=float, label="Duration")
    style = forms.ChoiceField(required=False, label="Style")

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.user = user
        available = presets()
        self.fields["preset"].choices = [(name, _preset_label(preset)) for name, preset in available.items()]
        chosen = self._value("preset")
        preset = available.get(chosen) or next(iter(available.values()))
        self.preset = preset
        styles = self._styles(user, preset)
        self.fields["style"].choices = [("", "None"), *((style.name, style.name) for style in styles)]
        if not styles:
            del self.fields["style"]
        self.fields["size"].choices = [
            (f"{short}|{aspect}", f"{w} \u00d7 {h} ({aspect})") for short, aspect, w, h in resolutions_for(preset)
        ]
        self.fields["fps"].choices = [(rate, f"{rate} fps") for rate in preset.fps]
        try:
            fps = int(self._value("fps") or preset.fps[0])
        except ValueError:
            fps = preset.fps[0]
        fps = fps if fps in preset.fps else preset.fps[0]
        self.fields["duration_s"].choices = [
            (_duration_value(frames, fps), f"{frames / fps:.1f} s ({frames} frames)") for frames in preset.frame_counts
        ]

    @property
    def starts_from_images(self) -> bool:
        """Whether the chosen preset makes clips from a start image too (templates cannot reach
        ``self.preset``: there ``form.preset`` is the field)."""
        return "image" in self.preset.modes

    def _value(self, name: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name, self.fields[name].initial if name in self.fields else None)

    def _cohort(self, user):
        """The chosen cohort of the artist's, else their first (None for someone in none)."""
        cohorts = selectors.artist_cohorts(user=user)
        cohort = cohorts.filter(pk=self._value("cohort")).first() if str(self._value("cohort")).isdigit() else None
        return cohort or cohorts.first()

    def _styles(self, user, preset):
        """The preset's styles the chosen cohort (else the artist's first) allows."""
        if user is None or not preset.styles:
            return []
        cohort = self._cohort(user)
        return cohort_styles(cohort=cohort, preset=preset) if cohort else []

    def clean(self):
        data = super().clean()
        if "size" in data:
            resolution, _, aspect = data.pop("size").partition("|")
            data["resolution"], data["aspect_ratio"] = int(resolution), aspect
        return data

    @classmethod
    def adjusted(cls, data, *, user=None) -> SettingsForm:
        """An unbound form showing ``data``'s choices, each moved to the nearest one the preset offers:
        after the preset or the frame rate changes, the other settings stay as close as they can."""
        asked = cls(data, user=user)
        lane = data.get("lane") if data.get("lane") in Generation.Lane.values else Generation.Lane.PAID
        initial = {"preset": asked.preset.name, "cohort": data.get("cohort"), "lane": lane}
        if "style" in asked.fields and data.get("style") in dict(asked.fields["style"].choices):
            initial["style"] = data.get("style")
        for name in ("size", "fps", "duration_s"):
            values = [str(value) for value, _ in asked.fields[name].choices]
            wanted = str(data.get(name, ""))
            if wanted in values:
                initial[name] = wanted
            elif name == "duration_s" and values:
                try:
                    target = float(wanted)
                except ValueError:
                    target = float(values[0])
                initial[name] = min(values, key=lambda value: abs(float(value) - target))
            elif values:
                initial[name] = values[0]
        return cls(initial=initial, user=user)

    def lane_and_cohort(self) -> tuple[str, object]:
        """The lane this (adjusted) form prices, and the cohort whose relaxed share prices it."""
        lane = self.initial.get("lane") or Generation.Lane.PAID
        relaxed = self.user is not None and lane == Generation.Lane.RELAXED
        return lane, (self._cohort(self.user) if relaxed else None)

    def quote(self) -> tuple[str, int | None]:
        """The price as the page says it, in the lane chosen, and the cost in credits (None when these
        settings cannot be priced: the text then says why)."""
        lane, cohort = self.lane_and_cohort()
        try:
            render_plan, cost = services.quote(**self.settings(), lane=lane, cohort=cohort)
        except ApplicationError as exc:
            return exc.message, None
        price = f"{cost} credits" + (" (relaxed: free)" if lane == "relaxed" and not cost else "")
        price += " in the relaxed lane" if lane == "relaxed" and cost else ""
        text = (
            f"{price} for {render_plan.width}x{render_plan.height}, {render_plan.num_frames} frames "
            f"at {render_plan.fps} fps ({render_plan.duration_s:.2f} s)"
        )
        return text, cost

    def settings(self) -> dict:
        """The service's keyword arguments for this (adjusted) form's initial choices."""
        resolution, _, aspect = self.initial["size"].partition("|")
        return {
            "preset": self.initial["preset"], "resolution": int(resolution), "aspect_ratio": aspect,
            "fps": int(self.initial["fps"]), "duration_s": float(self.initial["duration_s"]),
        }  # fmt: skip


class SubmitForm(SettingsForm):
    cohort = forms.ModelChoiceField(queryset=None, empty_label=None)
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    negative_prompt = forms.CharField(required=False, max_length=2000, label="Negative prompt (optional)")
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**31 - 1, help_text="Leave empty for a random seed."
    )
    # Image to video: a new upload, or the image of the clip whose settings were taken ("keep").
    start_image_file = forms.FileField(
        required=False, label="Start image (optional)",
        help_text="PNG, JPEG or WebP, at most 10 MB. The clip starts from it; leave empty to start from the prompt.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )  # fmt: skip
    keep_image = forms.UUIDField(required=False, widget=forms.HiddenInput)
    image_fit = forms.ChoiceField(
        choices=[("crop", "Crop: fill the frame, cutting the edges that do not fit"),
                 ("pad", "Pad: keep the whole image, with black bars")],
        initial="crop", required=False, widget=forms.RadioSelect, label="Fit the image to the clip's size",
    )  # fmt: skip

    lane = forms.ChoiceField(
        choices=[("paid", "Now: starts first, for its price"),
                 ("relaxed", "Relaxed: runs when the GPUs are idle, for less or nothing")],
        initial="paid", required=False, widget=forms.RadioSelect, label="When",
    )  # fmt: skip

    # One per page load (the studio writes it): the same form sent twice is one clip.
    # Its length is the service's to check: the refusal is then shown above the form (a hidden field's is not).
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["cohort", "prompt", "negative_prompt", "preset", "size", "fps", "duration_s", "seed"]

    def clean_idempotency_key(self):
        return self.cleaned_data.get("idempotency_key") or None

    def clean_image_fit(self):
        return self.cleaned_data.get("image_fit") or "crop"

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["cohort"].queryset = cohorts = selectors.artist_cohorts(user=user)
        if not self.is_bound and not self.initial.get("cohort"):
            first = cohorts.first()  # one cohort is the usual case, and its field is then hidden
            self.initial["cohort"] = first.pk if first else None
        if not QuotaPolicy.objects.filter(cohort__in=cohorts, relaxed_lane=True).exists():
            del self.fields["lane"]  # no cohort of theirs has a relaxed lane

    def clean_lane(self):
        return self.cleaned_data.get("lane") or "paid"


class QuotaPageForm(forms.Form):
    """Which of the quota page's forms was sent (each posts its name), and the override a removal names."""

    form = forms.ChoiceField(choices=[(name, name) for name in ("policy", "override", "grant", "remove_override")])
    override_id = forms.CharField(required=False, max_length=40)

    def override_pk(self) -> int:
        """The override a removal names, or 0 (which names none: the page answers 404)."""
        value = self.cleaned_data.get("override_id") or ""
        return int(value) if value.isdigit() else 0


class RerunForm(forms.Form):
    seed = forms.ChoiceField(choices=[("same", "The same seed"), ("new", "A new seed")])


class QuotaPolicyForm(forms.ModelForm):
    allowed_styles = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Styles artists may pick",
        help_text="LoRA adapters the presets offer; an artist picks one per clip, and its provenance names it.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offered = {}
        for preset in presets().values():
            for style in preset.styles:
                offered.setdefault(style.name, []).append(preset.name)
        self.fields["allowed_styles"].choices = [
            (name, f"{name} ({', '.join(names)})") for name, names in sorted(offered.items())
        ]
        for name in self.RELAXED_NUMBERS:
            self.fields[name].required = False

    class Meta:
        model = QuotaPolicy
        fields = [*QuotaPolicy.LIMIT_FIELDS, "allowed_styles", *QuotaPolicy.RELAXED_FIELDS]
        labels = {
            "credits_per_period": "Credits per period", "period_days": "Period (days)",
            "max_running_per_artist": "Clips rendering at once, per artist",
            "max_queued_per_artist": "Clips waiting, per artist", "weight": "Fair-share weight",
            "relaxed_lane": "Relaxed lane", "relaxed_cost_percent": "Relaxed price (% of the clip's price)",
            "relaxed_max_queued_per_artist": "Relaxed clips waiting, per artist",
            "relaxed_per_day": "Relaxed clips a day, per artist",
        }  # fmt: skip

    RELAXED_NUMBERS = ("relaxed_cost_percent", "relaxed_max_queued_per_artist", "relaxed_per_day")

    def _kept_unless_given(self, name: str):
        """A relaxed-lane number left out keeps its value (forms and scripts written before the lane)."""
        value = self.cleaned_data.get(name)
        return getattr(self.instance, name) if value is None else value

    def clean_relaxed_max_queued_per_artist(self):
        return self._kept_unless_given("relaxed_max_queued_per_artist")

    def clean_relaxed_per_day(self):
        return self._kept_unless_given("relaxed_per_day")

    def clean_relaxed_cost_percent(self):
        percent = self._kept_unless_given("relaxed_cost_percent")
        if percent > 100:
            raise forms.ValidationError("At most 100 (the full price); 0 makes relaxed clips free.")
        return percent

    def clean_weight(self):
        weight = self.cleaned_data["weight"]
        if not 0 < weight <= 100:
            raise forms.ValidationError("Give a weight above 0 and at most 100 (1 is the usual).")
        return weight

    def clean_period_days(self):
        days = self.cleaned_data["period_days"]
        if not 1 <= days <= 366:
            raise forms.ValidationError("A period lasts 1 to 366 days.")
        return days


class _ArtistOfCohortForm(forms.Form):
    artist = forms.ModelChoiceField(queryset=None, empty_label="Choose an artist")

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["artist"].queryset = User.objects.filter(pk__in=selectors.artists_of(cohort=cohort)).order_by(
            "email"
        )
        self.fields["artist"].label_from_instance = lambda user: user.email


class QuotaOverrideForm(_ArtistOfCohortForm):
    credits_per_period = forms.IntegerField(required=False, min_value=0, max_value=10**7, label="Credits per period")
    max_running_per_artist = forms.IntegerField(required=False, min_value=0, max_value=100, label="Rendering at once")
    max_queued_per_artist = forms.IntegerField(required=False, min_value=0, max_value=1000, label="Waiting")


class CreditGrantForm(_ArtistOfCohortForm):
    amount = forms.IntegerField(
        min_value=-(10**6), max_value=10**6, help_text="Negative takes credits back (never below zero available)."
    )
    note = forms.CharField(max_length=200, help_text="The artist reads this in their ledger.")
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
