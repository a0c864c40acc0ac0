"""The project's URLs plus the endpoint benchmark's baseline view (bench settings only)."""

from django.urls import path

from bubble_backend.urls import urlpatterns as project_urlpatterns

from .baseline import CreateCustomerView, EchoView, RunLogFloorView

urlpatterns = [
    path("bench/customer", CreateCustomerView.as_view()),
    path("bench/echo", EchoView.as_view()),
    path("bench/floor", RunLogFloorView.as_view()),
    *project_urlpatterns,
]
