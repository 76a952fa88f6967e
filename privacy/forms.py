from django import forms

from accounts.models import User
from privacy.services import CONFIRMATION


class StaffExportForm(forms.Form):
    email = forms.EmailField(label="The artist's email", help_text="Build their export at their request.")

    def clean_email(self):
        user = User.objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError("No account has this email.")
        return user


class ErasureForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, strip=False, label="Your password")
    code = forms.CharField(
        required=False, max_length=20, label="Code from your authenticator app",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )  # fmt: skip
    confirmation = forms.CharField(max_length=100, label=f'Type "{CONFIRMATION}" to confirm')

    def __init__(self, *args, second_factor: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not second_factor:
            del self.fields["code"]
