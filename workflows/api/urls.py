from django.urls import path

from . import views

app_name = "workflows_api"

urlpatterns = [
    path("wf/<str:name>", views.WorkflowView.as_view(), name="workflow"),
    path("wf/<str:name>/", views.WorkflowView.as_view()),
    path("runs/<uuid:run_id>", views.RunView.as_view(), name="run"),
]
