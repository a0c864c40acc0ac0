"""URLs: the admin (the workflow editor), the Bubble-compatible API under /api/1.1/, its
OpenAPI document with interactive docs, and the page where a user sets a password from an
emailed link (/accounts/reset/...)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularRedocView

from workflows import password_reset
from workflows.api.schema.views import SchemaView, SwaggerView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/", include(password_reset.urlpatterns)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("api/1.1/", include("scheduler.api.urls")),
    path("api/1.1/", include("workflows.api.urls")),  # last: it ends with a JSON 404
]
