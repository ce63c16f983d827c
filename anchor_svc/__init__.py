"""The anchor service: `python -m anchor_svc`."""
