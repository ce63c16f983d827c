"""Request-scoped values the observe interceptor sets for the duration of one RPC."""

import contextvars

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# The caller's address as the edge saw it (x-envoy-external-address, believed from trusted_proxies only),
# else the gRPC peer.
client_address: contextvars.ContextVar[str] = contextvars.ContextVar("client_address", default="")
# Full name of the RPC being handled, '/pkg.Service/Method'.
rpc_method: contextvars.ContextVar[str] = contextvars.ContextVar("rpc_method", default="")
