from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.permissions import has_totp
from accounts.services import token_create
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create an API token for a person and print it once (for operators)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--scopes", nargs="+", required=True, help="for example generations:read generations:write")
        parser.add_argument("--days", type=int, default=None, help="lifetime in days (default 90, at most 365)")
        parser.add_argument("--name", default="issued by an operator")

    def handle(self, *args, email, scopes, days, name, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account has the address {email}.")
        try:
            # Staff scopes only for staff who set up two-factor: an operator vouches for the shell, not for
            # whoever else knows the person's password.
            token, plaintext = token_create(
                user=user, name=name, scopes=scopes, days=days, second_factor=has_totp(user)
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.message} {exc.fields}") from exc
        self.stderr.write(
            f"Token {token.prefix}… for {user.email}, scopes {', '.join(token.scopes)}, "
            f"expires {token.expires_at:%Y-%m-%d}."
        )
        self.stderr.write("It is shown this once and stored nowhere:")
        self.stdout.write(plaintext)
