"""The workflow editor, the Runs log and API keys in the Django admin."""
