"""The project's admin app: Django's, with the project's admin site (``workflows.admin_site``:
the "Data" section and the pages of the data types defined without code)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "workflows.admin_site.AdminSite"
