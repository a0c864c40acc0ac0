from django.urls import path, re_path

from . import views

app_name = "workflows_api"

urlpatterns = [
    path("wf/<str:name>", views.WorkflowView.as_view(), name="workflow"),
    path("wf/<str:name>/", views.WorkflowView.as_view()),
    path("runs/<uuid:run_id>", views.RunView.as_view(), name="run"),
    # Anything else under /api/1.1/ answers a JSON 404, not Django's HTML page.
    re_path(r"^.*$", views.NotFoundView.as_view()),
]
