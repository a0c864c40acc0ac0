"""The workflow editor, the Runs log and API keys in the Django admin.

One module per admin page family; importing them registers the model admins.
"""

from . import audit, keys, privacy, runs, secrets, workflow  # noqa: F401
