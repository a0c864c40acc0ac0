"""The workflow editor, the Runs log and API keys in the Django admin.

One module per admin page family; importing them registers the model admins.
"""

from . import keys, runs, workflow  # noqa: F401
