from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from accounts.selectors import cohorts_for_home


def home(request):
    if not request.user.is_authenticated:
        return render(request, "home_anonymous.html")
    return render(request, "home.html", {"cohorts": cohorts_for_home(user=request.user)})


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Rendered without a request, so no context processor can fail a second time.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())
