from django.apps import AppConfig


class BubbleImportConfig(AppConfig):
    """Bringing a Bubble app over: ``manage.py import_bubble_app`` (docs/coming-from-bubble.md)."""

    name = "bubble_import"
    verbose_name = "Bring a Bubble app over"
