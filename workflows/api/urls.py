from django.urls import path, re_path

from . import data, views
from .schema.views import SchemaJSONView

app_name = "workflows_api"

urlpatterns = [
    path("wf/<str:name>/initialize", views.InitializeView.as_view(), name="initialize"),
    path("wf/<str:name>", views.WorkflowView.as_view(), name="workflow"),
    path("wf/<str:name>/", views.WorkflowView.as_view()),
    path("runs/<uuid:run_id>", views.RunView.as_view(), name="run"),
    path("obj/<str:data_type>", data.ThingListView.as_view(), name="thing-list"),
    path("obj/<str:data_type>/bulk", data.ThingBulkView.as_view(), name="thing-bulk"),
    path("obj/<str:data_type>/<str:thing_id>", data.ThingView.as_view(), name="thing"),
    # The OpenAPI document where tools pointed at a Bubble app look for it.
    path("meta/swagger.json", SchemaJSONView.as_view(), name="swagger-json"),
    # Anything else under /api/1.1/ answers a JSON 404, not Django's HTML page.
    re_path(r"^.*$", views.NotFoundView.as_view()),
]
