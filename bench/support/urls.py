"""The project's URLs plus /bench/bare/: a token-authenticated DRF endpoint that writes one row and nothing else."""

from django.urls import path
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tokens
from accounts.models import ApiToken, Notification
from config.urls import urlpatterns as project_urlpatterns


class BareTokenAuthentication(BaseAuthentication):
    """A hash lookup and nothing more: no leak detection, no rate limits, no last-use tracking."""

    def authenticate(self, request):
        plaintext = get_authorization_header(request).decode().removeprefix("Bearer ").strip()
        token = ApiToken.objects.select_related("user").filter(secret_hash=tokens.hash_secret(plaintext)).first()
        if token is None:
            raise exceptions.AuthenticationFailed()
        return token.user, token


class BareSubmit(APIView):
    authentication_classes = [BareTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list = []

    def post(self, request):
        Notification.objects.create(user=request.user, kind="bench", title=str(request.data.get("prompt", ""))[:200])
        return Response({"ok": True}, status=201)


urlpatterns = [*project_urlpatterns, path("bench/bare/", BareSubmit.as_view())]
