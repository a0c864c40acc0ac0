from django.urls import path

from . import views

app_name = "scheduler_api"

urlpatterns = [
    path("wf/<str:name>/schedule", views.ScheduleView.as_view(), name="schedule"),
    path("scheduled", views.ScheduledListView.as_view(), name="scheduled-list"),
    path("scheduled/<uuid:pk>", views.ScheduledDetailView.as_view(), name="scheduled-detail"),
    path(
        "scheduled/<uuid:pk>/cancel", views.ScheduledCancelView.as_view(), name="scheduled-cancel"
    ),
]
