"""The admin service: `python -m admin_svc`."""
