from django.contrib.admin.apps import AdminConfig


class VernissageAdminConfig(AdminConfig):
    """Django's admin, on a site that signs in through allauth and asks for the second factor (config.admin)."""

    default_site = "config.admin.VernissageAdminSite"
