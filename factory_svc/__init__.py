"""The factory service: `python -m factory_svc`."""
