"""The feedback pages' forms."""

from django import forms

from feedback.models import MAX_AMOUNT, MAX_CREDITS, SEVERITIES, SEVERITY_CHOICES, Contribution, Report


class ReportForm(forms.Form):
    cohort = forms.ChoiceField()
    kind = forms.ChoiceField(choices=Report.Kind.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(max_length=20000, widget=forms.Textarea(attrs={"rows": 8}), help_text="Markdown works.")
    severity = forms.ChoiceField(choices=[("", "—")] + [(s, s.capitalize()) for s in SEVERITIES], required=False)
    generations = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, cohorts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [(cohort.slug, cohort.name) for cohort in cohorts]

    def clean(self):
        data = super().clean()
        if data.get("kind") == Report.Kind.BUG and not data.get("severity"):
            self.add_error("severity", "Say how bad the bug is.")
        return data


class CommentForm(forms.Form):
    body = forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 3}), label="Comment")


class TriageForm(forms.Form):
    # No outcome is chosen for the person: one click on Save must not confirm (and pay) by default.
    outcome = forms.ChoiceField(
        choices=[("", "Choose an outcome…")]
        + [(state, label) for state, label in Report.State.choices if state != Report.State.NEW],
        error_messages={"required": "Choose an outcome."},
    )
    severity = forms.ChoiceField(
        required=False,
        choices=SEVERITY_CHOICES,
        help_text="A bug's award follows its severity; a change needs a reason.",
    )
    duplicate_of = forms.IntegerField(required=False, min_value=1, label="Duplicate of report #")
    reason = forms.CharField(max_length=2000, required=False, label="Reason (the reporter sees it)")
    staff_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Staff-only note")

    def __init__(self, *args, kind: str = Report.Kind.BUG, **kwargs):
        super().__init__(*args, **kwargs)
        if kind != Report.Kind.BUG:  # only a bug's severity sets what it earns
            del self.fields["severity"]


class DisputeForm(forms.Form):
    message = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DisputeAnswerForm(forms.Form):
    answer = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    new_outcome = forms.ChoiceField(
        required=False, choices=[("", "Keep the outcome")] + [c for c in Report.State.choices if c[0] != "new"]
    )
    raise_minor = forms.IntegerField(required=False, min_value=0, max_value=MAX_AMOUNT, label="Raise by (minor units)")
    raise_credits = forms.IntegerField(required=False, min_value=0, max_value=MAX_CREDITS, label="Raise by (credits)")


class RateCardForm(forms.Form):
    cohort = forms.TypedChoiceField(coerce=int)
    currency = forms.CharField(max_length=3, initial="EUR")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, cohorts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [(cohort.pk, cohort.name) for cohort in cohorts]
        for value, label in Contribution.choices:
            self.fields[f"{value}_amount"] = forms.IntegerField(
                min_value=0, max_value=MAX_AMOUNT, initial=0, label=f"{label}: minor units"
            )
            self.fields[f"{value}_credits"] = forms.IntegerField(
                min_value=0, max_value=MAX_CREDITS, initial=0, label="credits"
            )

    def lines(self) -> dict[str, tuple[int, int]]:
        return {
            value: (self.cleaned_data[f"{value}_amount"] or 0, self.cleaned_data[f"{value}_credits"] or 0)
            for value in Contribution.values
        }


class ClosePeriodForm(forms.Form):
    period = forms.RegexField(regex=r"^[12]\d{3}-(0[1-9]|1[0-2])$", help_text="YYYY-MM", max_length=7)


class MarkPaidForm(forms.Form):
    reference = forms.CharField(max_length=200)
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class PromotionAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])


class PromotionForm(forms.Form):
    publication = forms.UUIDField(label="Publication id (from its gallery address)")
    use = forms.CharField(max_length=500)


class TriageFilterForm(forms.Form):
    """The triage board's filters, kept in the URL; an unknown value is refused by its field, not ignored."""

    state = forms.ChoiceField(required=False, choices=[("", "Any"), *Report.State.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any"), *Report.Kind.choices])
    severity = forms.ChoiceField(required=False, choices=[("", "Any"), *SEVERITY_CHOICES])
    cohort = forms.ChoiceField(required=False)

    def __init__(self, *args, cohorts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [("", "All")] + [(cohort.slug, cohort.name) for cohort in cohorts]
