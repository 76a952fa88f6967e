import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import Cohort, User


@pytest.mark.django_db
def test_seed_demo_twice_is_idempotent(capsys, settings):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    assert Cohort.objects.count() == 1
    assert Cohort.objects.get().status == Cohort.Status.ACTIVE
    assert User.objects.count() == 4
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == 4
    assert "created" in first and "vernissage-demo" in first
    assert second.count("already there") == 4
    roles = dict(User.objects.values_list("email", "role"))
    assert roles == {
        "admin@example.com": "admin",
        "reviewer@example.com": "reviewer",
        "artist@example.com": "artist",
        "artist2@example.com": "artist",
    }


@pytest.mark.django_db
def test_seed_demo_uses_demo_password(settings):
    settings.DEMO_PASSWORD = "another-demo-pass"
    call_command("seed_demo")
    assert authenticate(email="artist@example.com", password="another-demo-pass") is not None
    assert authenticate(email="artist@example.com", password="vernissage-demo") is None
