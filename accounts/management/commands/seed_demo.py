from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo cohort and accounts (safe to run again); prints the logins."

    def handle(self, *args, **options):
        password = settings.DEMO_PASSWORD
        with transaction.atomic():
            cohort, logins = demo_seed(password=password)
            for step in settings.DEMO_SEED_STEPS:
                import_string(step)(cohort=cohort)
        self.stdout.write(
            f"Demo cohort: {cohort.name} ({cohort.status}); the demo artists have accepted its terms "
            "and hold credits, so they can generate at once in the studio (/studio/)."
        )
        self.stdout.write(f"Demo logins (password: {password}):")
        for login in logins:
            state = "created" if login.created else "already there"
            self.stdout.write(f"  {login.email:<24} {login.role:<9} {state}")
        self.stdout.write(
            "Staff (admin, reviewer) set up two-factor sign-in with an authenticator app the first time they "
            "open a staff page; after that every sign-in asks for a code."
        )
