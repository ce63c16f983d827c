"""The OpenTelemetry SDK side of tracing, imported by ``voketag.tracing.setup`` only when tracing is on: the SDK,
exporter and instrumentations are memory an idle service without tracing should not carry."""

from opentelemetry import context as otel_context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from voketag import context as rpc_context
from voketag.tracing import REQUEST_ID


class _RequestIdProcessor(SpanProcessor):
    """Puts the current request id on every span when it starts, whichever library made the span."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        request_id = rpc_context.request_id.get()
        if request_id:
            span.set_attribute(REQUEST_ID, request_id)


def provider(service: str, endpoint: str) -> TracerProvider:
    """A tracer provider exporting as ``service`` to ``endpoint``, with asyncpg and Redis instrumented."""
    tracer_provider = TracerProvider(resource=Resource.create({"service.name": service}))
    tracer_provider.add_span_processor(_RequestIdProcessor())
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint), schedule_delay_millis=500)
    )
    AsyncPGInstrumentor().instrument()
    RedisInstrumentor().instrument()
    return tracer_provider
