"""OpenTelemetry tracing (docs/operations.md, "Tracing"): off unless OTLP_TRACES_ENDPOINT is set.

Envoy starts or continues a W3C trace context (traceparent) for every request; each process continues it:
gRPC servers in the observe interceptor (voketag.interceptors), asyncpg and Redis through the OpenTelemetry
instrumentations, the anchor's calls to the chain node in ``client_span``, Dramatiq messages through
``voketag.queue.TraceMiddleware`` (the traceparent travels in the message options; it lives there so that
processes without a broker never import Dramatiq), and work that a background task does later for a request
through the traceparent stored with it (the anchoring outbox). Every span carries the request id of the RPC
(or message) it belongs to. Off, nothing is instrumented and the API's no-op tracer costs next to nothing.
"""

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.trace import SpanKind, StatusCode

from voketag import context as rpc_context

log = logging.getLogger(__name__)

REQUEST_ID = "voketag.request_id"
TRACEPARENT = "traceparent"

tracer = trace.get_tracer("voketag")
# Set by setup: while tracing is off, the per-request helpers below return at once (the verify path is measured
# in tenths of a millisecond of CPU).
_on = False


def setup(service: str, endpoint: str) -> None:
    """Export spans of this process as ``service`` to the OTLP/HTTP ``endpoint`` (…/v1/traces); '' keeps tracing
    off. Call once, before pools and clients are created."""
    global _on
    if not endpoint:
        return
    # Imported only when tracing is on: the SDK, exporter and instrumentations patch and load a fair amount.
    from voketag import tracing_sdk

    trace.set_tracer_provider(tracing_sdk.provider(service, endpoint))
    _on = True
    log.info("tracing on", extra={"otlp_endpoint": endpoint})


def current_traceparent() -> str:
    """The W3C traceparent of the current span, '' when there is none (or tracing is off)."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get(TRACEPARENT, "")


@dataclass
class Active:
    """A span made current until ``end``; both happen on the same thread (or task)."""

    span: trace.Span
    _token: object | None

    def end(self, error: str = "") -> None:
        if self._token is None:
            return
        if error:
            self.span.set_status(StatusCode.ERROR, error)
        self.span.end()
        otel_context.detach(self._token)  # type: ignore[arg-type]


_OFF = Active(trace.INVALID_SPAN, None)


def enter(name: str, carrier: Mapping[str, str], kind: SpanKind) -> Active:
    """Start a span continuing the trace context a carrier (gRPC metadata, message options) brings, and make
    it current."""
    if not _on:
        return _OFF
    parent = extract(dict(carrier))
    span = tracer.start_span(name, context=parent, kind=kind)
    return Active(span, otel_context.attach(trace.set_span_in_context(span, parent)))


@contextlib.contextmanager
def client_span(name: str) -> Iterator[dict[str, str]]:
    """A CLIENT span around an outgoing call that no instrumentation sees (the anchor's JSON-RPC calls); yields
    the headers that carry its trace context to the server."""
    if not _on:
        yield {}
        return
    with tracer.start_as_current_span(name, kind=SpanKind.CLIENT):
        headers: dict[str, str] = {}
        inject(headers)
        yield headers


@dataclass(frozen=True)
class Origin:
    """The request a piece of later or shared work is done for: its trace context and request id."""

    context: otel_context.Context
    request_id: str


def origin() -> Origin:
    return Origin(otel_context.get_current(), rpc_context.request_id.get())


@contextlib.contextmanager
def on_behalf_of(name: str, origins: Sequence[Origin]) -> Iterator[None]:
    """A span for work that a background task does for one or more requests at once (group commit): a child of
    the first request's span with its request id, linked to the spans of the others."""
    if not _on:
        yield
        return
    first, others = origins[0], origins[1:]
    contexts = (trace.get_current_span(other.context).get_span_context() for other in others)
    links = [trace.Link(context) for context in contexts if context.is_valid]
    token = rpc_context.request_id.set(first.request_id)
    try:
        with tracer.start_as_current_span(name, context=first.context, links=links):
            yield
    finally:
        rpc_context.request_id.reset(token)
