"""The Workflow API (DRF): authentication, parameter extraction, views, error shape."""
