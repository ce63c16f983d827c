"""The scan service: `python -m scan_svc`."""
