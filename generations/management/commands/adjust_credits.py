from django.core.management.base import BaseCommand, CommandError

from accounts.models import Cohort, User
from core.errors import ApplicationError
from generations.services import credits_adjust_by_staff


class Command(BaseCommand):
    help = "Add (or, with a negative amount, take away) credits for an artist, with a note for the ledger."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("cohort", help="the cohort's slug")
        parser.add_argument("amount", type=int)
        parser.add_argument("--note", required=True, help="why; the artist sees it in their ledger")
        parser.add_argument("--key", help="an idempotency key: running the command again with it changes nothing")

    def handle(self, *args, email, cohort, amount, note, key, **options):
        user = User.objects.filter(email__iexact=email).first()
        found = Cohort.objects.filter(slug=cohort).first()
        if user is None or found is None:
            raise CommandError(f"No account {email!r} or no cohort {cohort!r}.")
        try:
            account = credits_adjust_by_staff(actor=None, user=user, cohort=found, amount=amount, note=note, key=key)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.email} in {found.slug}: {account.available} available, {account.reserved} reserved.")
