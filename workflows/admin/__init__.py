"""The workflow editor, the Runs log, API keys and user tokens in the Django admin.

One module per admin page family; importing them registers the model admins.
"""

from . import audit, keys, privacy, runs, secrets, tokens, workflow  # noqa: F401
