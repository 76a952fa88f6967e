"""Factories for the models tests set up directly; what a test exercises goes through the services."""

import factory
from allauth.account.models import EmailAddress

from accounts.models import Cohort, Membership, User
from feedback.models import FeedbackPolicy, RateCard, RateCardLine, Report
from reviews.models import ReasonCode, ReviewPolicy

PASSWORD = "a-long-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    role = User.Role.ARTIST

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    name = factory.Sequence(lambda n: f"Cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    status = Cohort.Status.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    cohort = factory.SubFactory(CohortFactory)
    role = Membership.Role.ARTIST


class ReviewPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewPolicy

    cohort = factory.SubFactory(CohortFactory)


class ReasonCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReasonCode
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"reason-{n}")
    label = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())
    description = factory.LazyAttribute(lambda o: f"{o.label}, described.")
    policy_clause = factory.LazyAttribute(lambda o: f"Policy {o.code}")


class FeedbackPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedbackPolicy

    cohort = factory.SubFactory(CohortFactory)
    board_shared = True


class RateCardFactory(factory.django.DjangoModelFactory):
    """A published rate card; ``lines={"bug_high": (6000, 20)}`` adds its lines (minor units, credits)."""

    class Meta:
        model = RateCard
        skip_postgeneration_save = True

    cohort = factory.SubFactory(CohortFactory)
    version = factory.Sequence(lambda n: n + 1)
    currency = "EUR"

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        for contribution, (amount_minor, credits) in (extracted or {}).items():
            RateCardLine.objects.create(
                rate_card=self, contribution=contribution, amount_minor=amount_minor, credits=credits
            )


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    cohort = factory.SubFactory(CohortFactory)
    reporter = factory.SubFactory(UserFactory)
    kind = Report.Kind.BUG
    severity = "medium"
    title = factory.Sequence(lambda n: f"Report {n}: the poster is a frame late")
    body = "Steps to reproduce."
