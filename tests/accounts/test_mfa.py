"""Staff sign in with a second factor; sign-in attempts are limited and audited."""

from django.test import Client

from accounts.models import AuditEvent
from tests.support.clients import fresh_code
from tests.support.factories import PASSWORD


def test_staff_sign_in_asks_for_a_totp_code(world):
    browser = Client()
    response = browser.post("/accounts/login/", {"login": world.admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert browser.get("/staff/cohorts/").status_code == 302  # not signed in until the code is given

    wrong = browser.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert browser.post("/accounts/2fa/authenticate/", {"code": fresh_code(world.admin_totp)}).status_code == 302
    assert browser.get("/staff/cohorts/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.signed_in", actor=world.admin).exists()


def test_failed_sign_ins_are_audited_and_limited(world):
    browser = Client()
    statuses = []
    for _ in range(7):
        response = browser.post("/accounts/login/", {"login": world.artist.email, "password": "wrong-password"})
        statuses.append(response.status_code)
    assert AuditEvent.objects.filter(action="auth.sign_in_failed", subject_user=world.artist).count() >= 5
    # allauth's limit: 5 failures per account in 5 minutes, then even the right password is refused for a while.
    blocked = browser.post("/accounts/login/", {"login": world.artist.email, "password": PASSWORD})
    assert blocked.status_code in (200, 429)
    assert b"Too many failed login attempts" in blocked.content or blocked.status_code == 429


def test_sign_in_failures_behind_the_proxy_lock_out_that_client_only(world, settings):
    """allauth counts failures per client address as the API sees it, not per proxy."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    for n in range(12):
        attacker.post("/accounts/login/", {"login": f"nobody{n}@example.org", "password": "wrong-password"})
    refused = attacker.post("/accounts/login/", {"login": world.artist.email, "password": PASSWORD})
    assert refused.status_code == 429 or b"Too many failed" in refused.content
    assert AuditEvent.objects.filter(action="auth.sign_in_failed", ip="198.51.100.66").count() >= 10

    honest = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    response = honest.post("/accounts/login/", {"login": world.artist.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(world, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    # From a stranger the header is dropped: the plain-HTTP request is redirected to HTTPS.
    spoofed = Client().get("/accounts/login/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.status_code == 301 and spoofed["Location"].startswith("https://")
    proxied = Client().get("/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
