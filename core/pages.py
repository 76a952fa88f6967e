"""One way for pages to show a refusal (an ApplicationError from a service), used by every view.

An action (a POST that then redirects) shows the refusal as a message and goes back; a form shows it
on the fields it names, with the whole sentence once above the form.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import ApplicationError


def refusals_as_messages(back: str | Callable[..., str], *, not_found: bool = False):
    """Decorator for an action view: an ApplicationError becomes an error message and a redirect to
    ``back`` (a URL name, or a function of the view's arguments that returns a URL). With ``not_found``,
    a refusal whose status is 404 is the 404 page instead (a link that names nothing of yours)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except ApplicationError as exc:
                if not_found and exc.status == 404:
                    raise Http404(exc.message) from None
                messages.error(request, exc.message)
                return redirect(back(request, *args, **kwargs) if callable(back) else back)

        return wrapper

    return decorator


@contextlib.contextmanager
def refusals_on(form):
    """``with refusals_on(form): ...``: an ApplicationError inside ends the block and lands on the form, on
    each field it names and as one sentence above it; the view goes on to render the form again."""
    try:
        yield
    except ApplicationError as exc:
        for field, message in exc.fields.items():
            if field in form.fields:
                form.add_error(field, message)
        form.add_error(None, exc.message)


@contextlib.contextmanager
def refusals_named(field: str):
    """``with refusals_named("start_image_file"): ...``: a refusal inside is about the page's ``field`` (the
    service names its own argument); it goes on to the form with that name."""
    try:
        yield
    except ApplicationError as exc:
        exc.fields = {field: exc.message}
        raise


def safe_next(request, default: str = "") -> str:
    """The ``next`` the request names (form field first, then query string) when it stays on this site,
    else ``default``. Every view that reads a ``next`` reads it here: an open redirect is a phishing aid."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


PAGE_SIZE = 50


@dataclass(frozen=True)
class Paged:
    """One page of a list, and the query string that keeps the list's filters on its links (ui/_pager.html)."""

    page: Page
    query: str


def paged(request, items, *, per_page: int = PAGE_SIZE) -> Paged:
    """The page of ``items`` the request asks for (``?page=``; a wrong number gives the nearest page): every
    list on a page is read a page at a time, with links to the next and previous, never cut off."""
    query = request.GET.copy()
    query.pop("page", None)
    return Paged(Paginator(items, per_page).get_page(request.GET.get("page")), query.urlencode())
