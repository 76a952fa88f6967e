from django.urls import reverse


def navigation(request):
    """Navigation links that fit the signed-in person's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [("Sign in", reverse("account_login"))]}
    links = [("Home", reverse("home"))]
    if user.is_program_staff:
        links.append(("Two-factor", reverse("mfa_index")))
    if user.is_program_admin:
        links.append(("API reference", reverse("api-docs")))
    if user.is_staff:
        links.append(("Django admin", reverse("admin:index")))
    links.append(("Account", reverse("account_email")))
    return {"nav_links": links}
