from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import Cohort, User

DEMO_COHORT_SLUG = "demo"
DEMO_ACCOUNTS = (
    ("admin@example.com", "Ada Admin", User.Role.ADMIN),
    ("reviewer@example.com", "Rae Reviewer", User.Role.REVIEWER),
    ("artist@example.com", "Ari Artist", User.Role.ARTIST),
    ("artist2@example.com", "Bo Artist", User.Role.ARTIST),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    created: bool


@transaction.atomic
def demo_seed(*, password: str) -> tuple[Cohort, list[DemoLogin]]:
    """Create (or bring back to a known state) the demo cohort and accounts.

    Idempotent: running it again creates nothing new; it resets the demo
    passwords to ``password`` and marks their email addresses verified, so the
    printed logins always work.
    """
    cohort, _ = Cohort.objects.update_or_create(
        slug=DEMO_COHORT_SLUG,
        defaults={
            "name": "Demo cohort",
            "description": "A cohort for trying Vernissage locally.",
            "status": Cohort.Status.ACTIVE,
        },
    )
    logins = []
    for email, name, role in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(email=email, defaults={"display_name": name, "role": role})
        user.role = role
        user.is_active = True
        user.is_staff = role == User.Role.ADMIN
        user.is_superuser = role == User.Role.ADMIN
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        logins.append(DemoLogin(email=email, role=role, created=created))
    return cohort, logins
