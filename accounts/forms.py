import csv
import io

from django import forms
from django.conf import settings

from accounts.models import ApiToken, Cohort, ConsentRecord, Membership, ProgramSwitches, User
from accounts.permissions import scopes_allowed_for
from accounts.validators import validate_public_name

MAX_CSV_BYTES = 1_000_000


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = list(Cohort.EDITABLE_FIELDS)
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The end date must not be before the start date.")
        return data


class InvitationsForm(forms.Form):
    emails = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One address per line, or separated by commas.",
    )
    csv_file = forms.FileField(required=False, label="or a CSV file", help_text="Addresses in the first column.")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.ARTIST)

    def clean_csv_file(self):
        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return []
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The CSV file is larger than 1 MB; split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The CSV file is not UTF-8 text; save it as 'CSV UTF-8'.") from None
        rows = [row[0].strip() for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
        if rows and "@" not in rows[0]:
            rows = rows[1:]  # a header row such as "email"
        return rows

    def clean(self):
        data = super().clean()
        pasted = [part.strip() for line in data.get("emails", "").splitlines() for part in line.split(",")]
        data["all_emails"] = [email for email in pasted + list(data.get("csv_file") or []) if email]
        if not data["all_emails"] and not self.errors:
            raise forms.ValidationError("Give at least one email address, pasted or in a CSV file.")
        return data


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Something you will recognise, such as 'laptop script'.")
    scopes = forms.MultipleChoiceField(choices=ApiToken.Scope.choices, widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
        help_text=f"How long the token lives, 1 to {settings.API_TOKEN_MAX_DAYS} days.",
    )

    def __init__(self, *args, user: User, second_factor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = scopes_allowed_for(user, second_factor=second_factor)
        self.fields["scopes"].choices = [choice for choice in ApiToken.Scope.choices if choice[0] in allowed]
        if user.is_program_staff and not second_factor:
            self.fields[
                "scopes"
            ].help_text = "Staff scopes are offered once this session has passed two-factor sign-in."


class SignupForm(forms.Form):
    """allauth's sign-up form asks for this too (ACCOUNT_SIGNUP_FORM_CLASS): without it, the address would be
    the only name a new member had."""

    display_name = forms.CharField(
        max_length=80, label="Your name", validators=[validate_public_name],
        help_text="How other members and the gallery know you. Not your email address, which stays private.",
    )  # fmt: skip

    def signup(self, request, user) -> None:
        user.display_name = self.cleaned_data["display_name"].strip()
        user.save(update_fields=["display_name"])


class ConsentsForm(forms.Form):
    training_use = forms.BooleanField(required=False, label=ConsentRecord.Kind.TRAINING_USE.label)
    credit_name = forms.CharField(
        max_length=80, required=False, label="Public credit name", help_text="Shown with your published clips.",
        validators=[validate_public_name],
    )  # fmt: skip
    contact = forms.BooleanField(required=False, label=ConsentRecord.Kind.CONTACT.label)


class TermsAcceptForm(forms.Form):
    terms_id = forms.IntegerField(min_value=1)


class TermsPublishForm(forms.Form):
    body = forms.CharField(strip=True)


class GenerationPauseForm(forms.Form):
    """The global kill switch: the reason as long as the column holds (the service checks it again)."""

    generation_paused = forms.BooleanField(required=False, label="Pause all generation")
    reason = forms.CharField(
        max_length=ProgramSwitches._meta.get_field("generation_paused_reason").max_length, required=False,
        label="Reason (artists see it)",
    )  # fmt: skip


class MembershipActionForm(forms.Form):
    membership = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(
        choices=[
            ("suspend", "suspend"),
            ("reactivate", "reactivate"),
            ("remove", "remove"),
            ("role", "role"),
            ("suspend_account", "suspend_account"),
            ("reactivate_account", "reactivate_account"),
        ]
    )
    reason = forms.CharField(max_length=500, required=False)
    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)


class BulkMembershipForm(forms.Form):
    """The members page's bulk action: one membership action on every ticked member."""

    memberships = forms.TypedMultipleChoiceField(
        coerce=int, choices=[], error_messages={"required": "Tick at least one member first."}
    )
    action = forms.ChoiceField(
        choices=[
            ("suspend", "Suspend in cohort"),
            ("reactivate", "Reactivate in cohort"),
            ("remove", "Remove from cohort"),
        ]
    )
    reason = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["memberships"].choices = [(pk, pk) for pk in cohort.memberships.values_list("pk", flat=True)]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, label="Actor email contains")
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.order_by("name"), required=False)
    action = forms.CharField(required=False, help_text="For example token. or invitation.accepted")
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date must not be before the start date.")
        return data
