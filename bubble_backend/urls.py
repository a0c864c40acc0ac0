"""URLs: the admin (the workflow editor) and the Bubble-compatible API under /api/1.1/."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/1.1/", include("scheduler.api.urls")),
    path("api/1.1/", include("workflows.api.urls")),  # last: it ends with a JSON 404
]
