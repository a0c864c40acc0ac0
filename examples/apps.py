from django.apps import AppConfig


class ExamplesConfig(AppConfig):
    name = "examples"
    verbose_name = "Examples (sample data types)"
    default_auto_field = "django.db.models.BigAutoField"
