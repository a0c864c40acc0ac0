"""The backend workflow editor's server side: what it offers, live checks, test runs."""
