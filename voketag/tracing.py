"""OpenTelemetry tracing (docs/operations.md, "Tracing"): off unless OTLP_TRACES_ENDPOINT is set.

Envoy starts or continues a W3C trace context (traceparent) for every request; each process continues it:
gRPC servers in the observe interceptor (voketag.interceptors), asyncpg, Redis and aiohttp (web3's transport)
through the OpenTelemetry instrumentations, Dramatiq messages through ``TraceMiddleware`` (the traceparent
travels in the message options), and work that a background task does later for a request through the
traceparent stored with it (the anchoring outbox). Every span carries the request id of the RPC (or message)
it belongs to. Off, nothing is instrumented and the API's no-op tracer costs next to nothing.
"""

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextvars import Token
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware
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


class TraceMiddleware(Middleware):
    """Dramatiq: the sender's trace context rides in the message options, and the worker continues it.

    A message that already has a traceparent keeps it (the outbox relay sends the one stored with the request
    it relays, not its own). The worker runs each message in a CONSUMER span under that context, with the
    request id the sender had; asyncio.run in the actor copies the context, so its spans nest inside.
    """

    def __init__(self) -> None:
        # Span and context tokens of the messages being processed, by message id (never in the options: a retry
        # re-enqueues the options as JSON).
        self._active: dict[str, tuple[Active, Token[str]]] = {}

    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None) -> None:
        if TRACEPARENT not in message.options:
            traceparent = current_traceparent()
            if traceparent:
                message.options[TRACEPARENT] = traceparent
        if REQUEST_ID not in message.options and rpc_context.request_id.get():
            message.options[REQUEST_ID] = rpc_context.request_id.get()

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        request_token = rpc_context.request_id.set(str(message.options.get(REQUEST_ID, message.message_id)))
        carrier = {TRACEPARENT: str(message.options.get(TRACEPARENT, ""))}
        active = enter(f"dramatiq {message.actor_name}", carrier, SpanKind.CONSUMER)
        active.span.set_attribute("messaging.system", "dramatiq")
        active.span.set_attribute("messaging.destination.name", message.queue_name)
        self._active[message.message_id] = (active, request_token)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        state = self._active.pop(message.message_id, None)
        if state is None:
            return
        active, request_token = state
        if exception is not None:
            active.span.record_exception(exception)
        active.end(type(exception).__name__ if exception is not None else "")
        rpc_context.request_id.reset(request_token)

    after_skip_message = after_process_message
