from django import forms

from generations import selectors
from generations.pricing import ASPECTS, presets, resolutions_for


class SubmitForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=None, empty_label=None)
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    negative_prompt = forms.CharField(required=False, max_length=2000, label="Negative prompt (optional)")
    preset = forms.ChoiceField()
    duration_s = forms.FloatField(min_value=0.1, max_value=60, initial=2.125, label="Duration (seconds)")
    resolution = forms.TypedChoiceField(coerce=int)
    aspect_ratio = forms.ChoiceField(choices=[(a, a) for a in ASPECTS], initial="1:1")
    fps = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Frames per second")
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**31 - 1, help_text="Leave empty for a random seed."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = selectors.artist_cohorts(user=user)
        available = presets()
        self.fields["preset"].choices = [(name, name) for name in available]
        shorts = sorted({short for preset in available.values() for short, *_ in resolutions_for(preset)})
        self.fields["resolution"].choices = [(s, f"{s}p") for s in shorts]
        rates = sorted({fps for preset in available.values() for fps in preset.fps})
        self.fields["fps"].choices = [("", "preset default")] + [(r, str(r)) for r in rates]
