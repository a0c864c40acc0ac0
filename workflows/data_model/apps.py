"""The app label the models of data types defined without code live under."""

from django.apps import AppConfig


class ThingsConfig(AppConfig):
    """``things``: no models module and no migrations (Django never makes migrations for
    it); ``workflows.data_model.builder`` registers a model per data type at run time."""

    name = "workflows.data_model"
    label = "things"
    verbose_name = "Data"
