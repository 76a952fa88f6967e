from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from privacy import services
from privacy.models import ErasureRequest


class Command(BaseCommand):
    help = (
        "Erase an account at once, for an erasure request staff verified (--now says so; artists ask on their "
        "data page or the API, and have a 14-day grace period). Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--now", action="store_true", help="No grace period: the request was verified.")

    def handle(self, *args, email, now, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account has the email {email}.")
        if not now:
            raise CommandError(
                "Artists ask on their data page (or the API); staff erase a verified request with --now."
            )
        erasure = services.erasure_now(user=user, actor=None)
        if erasure.state == ErasureRequest.State.ERASED:
            self.stdout.write(f"Erased: the account is now {erasure.user.display_name}; its files are removed.")
        else:
            self.stdout.write(
                f"Waiting for a running clip or a held review decision: the erasure runs at "
                f"{erasure.erase_after:%Y-%m-%d %H:%M} UTC (the beat's privacy.erase_due)."
            )
