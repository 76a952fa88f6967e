"""The review pages' forms: the fields and limits the services check, shown before the artist submits."""

from django import forms

from accounts.validators import validate_public_name
from reviews.models import Decision, ReasonCode, ReviewPolicy


class PublicationRequestForm(forms.Form):
    title = forms.CharField(max_length=120, help_text="1 to 120 characters, shown in the gallery.")
    caption = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    credit_line = forms.CharField(
        max_length=120, validators=[validate_public_name],
        help_text="How the gallery credits you, shown publicly with the clip. Not your email address.",
    )  # fmt: skip
    show_prompt = forms.BooleanField(required=False, label="Show the prompt in the gallery")


class AppealForm(forms.Form):
    message = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the decision should change."
    )


class DecisionForm(forms.Form):
    """A reviewer's decision on a request at ``stage`` (a take-down's appeal is restored or upheld only)."""

    outcome = forms.ChoiceField(widget=forms.HiddenInput, required=False)
    # The page's decision buttons are named "decide"; the button pressed is the outcome.
    decide = forms.ChoiceField(required=False)
    reason_code = forms.ChoiceField(
        required=False, label="Reason (to reject or request changes)", help_text="From the published list."
    )
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note to the artist"
    )

    def __init__(self, *args, stage: str = Decision.Stage.REVIEW, **kwargs):
        super().__init__(*args, **kwargs)
        outcomes = [(value, label) for value, label in Decision.Outcome.choices if value in Decision.OUTCOMES_AT[stage]]
        self.fields["outcome"].choices = self.fields["decide"].choices = outcomes
        self.fields["reason_code"].choices = [("", "Choose a reason…")] + [
            (code.code, f"{code.label} ({code.policy_clause})") for code in ReasonCode.objects.filter(active=True)
        ]

    def clean(self):
        cleaned = super().clean()
        cleaned["outcome"] = cleaned.get("decide") or cleaned.get("outcome")
        return cleaned


class TakeDownForm(forms.Form):
    reason_code = forms.ChoiceField(label="Reason")
    note = forms.CharField(
        label="Facts", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What in the clip led to taking it down. The artist reads it in the statement of reasons.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", "Choose a reason…")] + [
            (code.code, code.label) for code in ReasonCode.objects.filter(active=True)
        ]


class ReasonCodeForm(forms.ModelForm):
    ground_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Where the clause is published (or, for illegal content, the law).",
    )

    class Meta:
        model = ReasonCode
        fields = ["code", "label", "description", "policy_clause", "ground", "category", "ground_url", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class QueueFilterForm(forms.Form):
    cohort = forms.ChoiceField(required=False)
    state = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("pending", "Pending"), ("in_review", "In review (yours)")]
    )
    older_than_hours = forms.IntegerField(required=False, min_value=1, max_value=24 * 365, label="Older than (hours)")

    def __init__(self, *args, cohorts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [("", "All")] + [(cohort.slug, cohort.name) for cohort in cohorts]


class ReviewPolicyForm(forms.ModelForm):
    class Meta:
        model = ReviewPolicy
        fields = list(ReviewPolicy.EDITABLE_FIELDS)
        labels = {"deadline_hours": "Review deadline (hours)", "appeal_window_days": "Appeal window (days)"}
