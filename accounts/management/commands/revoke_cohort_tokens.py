from django.core.management.base import BaseCommand, CommandError

from accounts.models import Cohort
from accounts.services import tokens_revoke_for_cohort


class Command(BaseCommand):
    help = "Revoke every API token of every member of a cohort in one step (leak containment)."

    def add_arguments(self, parser):
        parser.add_argument("cohort", help="the cohort's slug")

    def handle(self, *args, cohort, **options):
        found = Cohort.objects.filter(slug=cohort).first()
        if found is None:
            raise CommandError(f"No cohort has the slug {cohort!r}.")
        count = tokens_revoke_for_cohort(actor=None, cohort=found)
        self.stdout.write(f"Revoked {count} token{'s' if count != 1 else ''} of {found.name}'s members.")
