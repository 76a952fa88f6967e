"""seed_demo's data for the accounts app: a demo cohort with terms, and the demo logins."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import (
    Cohort,
    Membership,
    TermsAcceptance,
    TermsVersion,
    User,
)

DEMO_COHORT_SLUG = "demo"
DEMO_ACCOUNTS = (
    ("admin@example.com", "Ada Admin", User.Role.ADMIN, None),
    ("reviewer@example.com", "Rae Reviewer", User.Role.REVIEWER, Membership.Role.REVIEWER),
    ("artist@example.com", "Ari Artist", User.Role.ARTIST, Membership.Role.ARTIST),
    ("artist2@example.com", "Bo Artist", User.Role.ARTIST, Membership.Role.ARTIST),
)
DEMO_TERMS = (
    "1. Your clips are yours. The program may show published clips with the credit you choose.\n"
    "2. Bug reports and feedback are paid at the published rates.\n"
    "3. Keep your API tokens private; the program suspends tokens that look shared.\n"
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
    passwords to ``password``, marks their email addresses verified, keeps the
    cohort active, the artists' terms accepted and the reviewer assigned.
    """
    cohort, _ = Cohort.objects.update_or_create(
        slug=DEMO_COHORT_SLUG,
        defaults={
            "name": "Demo cohort",
            "description": "A cohort for trying Vernissage locally.",
            "status": Cohort.Status.ACTIVE,
        },
    )
    terms = cohort.terms_versions.order_by("-version").first() or TermsVersion.objects.create(
        cohort=cohort, version=1, body=DEMO_TERMS
    )
    logins = []
    for email, name, role, membership_role in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(email=email, defaults={"display_name": name, "role": role})
        user.role = role
        user.is_active = True
        user.suspended_at = None
        user.is_staff = role == User.Role.ADMIN
        user.is_superuser = role == User.Role.ADMIN
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if membership_role:
            Membership.objects.update_or_create(
                user=user, cohort=cohort, defaults={"role": membership_role, "status": Membership.Status.ACTIVE}
            )
        if membership_role == Membership.Role.ARTIST:
            TermsAcceptance.objects.get_or_create(user=user, terms=terms)
        logins.append(DemoLogin(email=email, role=role, created=created))
    return cohort, logins
