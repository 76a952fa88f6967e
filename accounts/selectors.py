from django.db.models import QuerySet

from accounts.models import Cohort, User


def cohorts_for_home(*, user: User) -> QuerySet[Cohort]:
    """Cohorts shown on the home page: active ones, for now every signed-in person.

    Memberships (the accounts issue) narrow this to the person's own cohorts.
    """
    return Cohort.objects.filter(status=Cohort.Status.ACTIVE).only("name", "slug", "description", "status")
