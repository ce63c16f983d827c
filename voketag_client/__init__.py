"""A small Python client for factory systems (MES/ERP) and the webhook signature check for receivers.

    from voketag_client import FactoryClient, verify_signature

See docs/factory.md.
"""

from voketag_client.client import FactoryClient
from voketag_client.signatures import verify_signature

__all__ = ["FactoryClient", "verify_signature"]
