"""ASGI entry point (uvicorn bubble_backend.asgi:application)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bubble_backend.settings")
application = get_asgi_application()
