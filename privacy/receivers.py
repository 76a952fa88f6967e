from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from core.client_ip import client_ip
from privacy import services


@receiver(user_logged_in, dispatch_uid="privacy.signing_in_cancels_erasure")
def signing_in_cancels_erasure(sender, request, user, **kwargs):
    """Signing in during the grace period means the artist is still here: their erasure is cancelled."""
    services.erasure_cancel(user=user, reason="you signed in", ip=client_ip(request) if request else None)
