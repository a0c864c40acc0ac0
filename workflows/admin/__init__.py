"""The workflow editor, the Runs log, API keys, user tokens and the Data section (data
types, option sets, things) in the Django admin.

One module per admin page family; importing them registers the model admins.
"""

from . import audit, data, keys, privacy, runs, secrets, tokens, versions, workflow  # noqa: F401
