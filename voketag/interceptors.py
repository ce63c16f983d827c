"""Server interceptors shared by all services, outermost first: observe -> errors -> auth -> validation -> handler."""

import contextlib
import inspect
import logging
import math
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import unquote

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor
from grpc_status import rpc_status
from prometheus_client import Counter, Histogram

from voketag import context as rpc_context
from voketag import tracing
from voketag.auth import Policy, Revocations, TokenVerifier, acting_as, authorize
from voketag.errors import DomainError, PermissionDenied, Unauthenticated
from voketag.outages import as_unavailable
from voketag.validation import checked, tolerant

log = logging.getLogger("voketag.rpc")

RPC_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed, by method and status code",
    ["grpc_service", "grpc_method", "grpc_code"],
)
RPC_LATENCY = Histogram(
    "grpc_server_handling_seconds",
    "RPC latency from first byte to status, by method",
    ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# A caller-supplied request id is kept only if it looks like one (Envoy sends a UUID).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

Around = Callable[[grpc.HandlerCallDetails, grpc.aio.ServicerContext], contextlib.AbstractAsyncContextManager[None]]
# (request or request iterator, request_streaming) -> what the handler receives
Prepare = Callable[[Any, bool], Any]


def _as_is(request: Any, streaming: bool) -> Any:
    return request


def _wrap(
    handler: grpc.RpcMethodHandler, details: grpc.HandlerCallDetails, around: Around, prepare: Prepare = _as_is
) -> Any:
    """Run the handler inside ``around`` on the ``prepare``d request, whatever its streaming shape."""
    kind = (
        ("stream" if handler.request_streaming else "unary")
        + "_"
        + ("stream" if handler.response_streaming else "unary")
    )
    inner = getattr(handler, kind)
    if handler.response_streaming:

        async def streamed(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with around(details, context):
                result = inner(prepare(request, handler.request_streaming), context)
                # grpc.aio allows streaming handlers that are coroutines writing through context.write.
                if inspect.isasyncgen(result):
                    async for item in result:
                        yield item
                else:
                    await result

        return handler._replace(**{kind: streamed})  # type: ignore[attr-defined]

    async def single(request: Any, context: grpc.aio.ServicerContext) -> Any:
        async with around(details, context):
            return await inner(prepare(request, handler.request_streaming), context)

    return handler._replace(**{kind: single})  # type: ignore[attr-defined]


class _AroundInterceptor(grpc.aio.ServerInterceptor):
    def around(
        self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext
    ) -> contextlib.AbstractAsyncContextManager[None]:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return _wrap(handler, handler_call_details, self.around)


def _metadata(details: grpc.HandlerCallDetails) -> dict[str, str]:
    return {key: value for key, value in (details.invocation_metadata or ()) if isinstance(value, str)}


def _split(method: str) -> tuple[str, str]:
    service, _, name = method.lstrip("/").partition("/")
    return service, name


def peer_ip(peer: str) -> IPv4Address | IPv6Address | None:
    """The IP of a gRPC peer string ("ipv4:10.0.0.1:5000", "ipv6:%5B::1%5D:5000"); None for other transports."""
    kind, _, rest = unquote(peer).partition(":")
    if kind not in ("ipv4", "ipv6"):
        return None
    try:
        return ip_address(rest.rpartition(":")[0].strip("[]"))
    except ValueError:
        return None


class ObserveInterceptor(_AroundInterceptor):
    """Request id, client address, one JSON log line and the Prometheus count/latency per RPC."""

    def __init__(self, trusted_proxies: Sequence[IPv4Network | IPv6Network] = ()) -> None:
        self._trusted = tuple(trusted_proxies)

    def client_address(self, metadata: Mapping[str, str], peer: str) -> str:
        """The edge's x-envoy-external-address when the call comes from a trusted proxy, else the peer itself."""
        claimed = metadata.get("x-envoy-external-address")
        ip = peer_ip(peer)
        if claimed and ip is not None and any(ip in network for network in self._trusted):
            return claimed
        return peer

    @contextlib.asynccontextmanager
    async def around(self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        metadata = _metadata(details)
        supplied = metadata.get("x-request-id", "")
        tokens = (
            rpc_context.request_id.set(supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex),
            rpc_context.client_address.set(self.client_address(metadata, context.peer())),
            rpc_context.rpc_method.set(details.method),
        )
        service, method = _split(details.method)
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        # After the request id is set, so that the span (and every span under it) carries it.
        span = tracing.enter(details.method.lstrip("/"), metadata, tracing.SpanKind.SERVER)
        try:
            yield
            code = context.code() or grpc.StatusCode.OK
        except grpc.aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except BaseException:
            code = grpc.StatusCode.CANCELLED
            raise
        finally:
            elapsed = time.perf_counter() - started
            code_name = code.name if isinstance(code, grpc.StatusCode) else str(code)
            span.span.set_attribute("rpc.grpc.status_code", code_name)
            span.end("" if code == grpc.StatusCode.OK else code_name)
            RPC_HANDLED.labels(service, method, code_name).inc()
            RPC_LATENCY.labels(service, method).observe(elapsed)
            log.info(
                "rpc",
                extra={"method": details.method, "code": code_name, "latency_ms": round(elapsed * 1000, 3)},
            )
            rpc_context.rpc_method.reset(tokens[2])
            rpc_context.client_address.reset(tokens[1])
            rpc_context.request_id.reset(tokens[0])


class ErrorInterceptor(_AroundInterceptor):
    """Domain errors become google.rpc.Status with ErrorInfo; anything else a generic INTERNAL."""

    @contextlib.asynccontextmanager
    async def around(self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        try:
            yield
        except grpc.aio.AbortError:
            raise
        except DomainError as exc:
            await _abort(context, exc)
        except Exception as exc:
            outage = as_unavailable(exc)
            if outage is not None:
                log.warning("%s in %s: %s", outage.message, details.method, type(exc).__name__)
                await _abort(context, outage)
            log.exception("unhandled error in %s", details.method)
            await context.abort(grpc.StatusCode.INTERNAL, f"internal error (request id {rpc_context.request_id.get()})")


async def _abort(context: grpc.aio.ServicerContext, exc: DomainError) -> None:
    status = rpc_status.to_status(exc.to_status())
    trailers = tuple(status.trailing_metadata)
    if exc.retry_after_s is not None:
        # Envoy passes this trailer on as the Retry-After header of the HTTP answer (429, 503).
        trailers += (("retry-after", str(max(1, math.ceil(exc.retry_after_s)))),)
    await context.abort(status.code, status.details, trailers)


class AuthInterceptor(_AroundInterceptor):
    """Verifies the bearer JWT and applies the policy the RPC declared next to its handler."""

    def __init__(
        self, verifier: TokenVerifier, policies: Mapping[str, Policy], revocations: Revocations | None = None
    ) -> None:
        self._verifier = verifier
        self._policies = policies
        self._revocations = revocations

    @contextlib.asynccontextmanager
    async def around(self, details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
        policy = self._policies.get(details.method)
        if policy is None:
            raise PermissionDenied("NO_POLICY", "this RPC declares no access policy")
        principal = None
        if not policy.public:
            scheme, _, credentials = _metadata(details).get("authorization", "").partition(" ")
            if not credentials:
                raise Unauthenticated("CREDENTIALS_MISSING", "this RPC needs a bearer token")
            if scheme.lower() != "bearer":
                raise Unauthenticated("CREDENTIALS_MALFORMED", "the authorization header must be 'Bearer <token>'")
            principal = self._verifier.verify(credentials)
            if self._revocations is not None:
                await self._revocations.check(principal)
        authorize(policy, principal)
        with acting_as(principal):
            yield


class ValidationInterceptor(grpc.aio.ServerInterceptor):
    """The field rules of voketag.validation for every request message, right before the handler: after auth,
    so that a caller without credentials learns nothing about the contract from the answer. Its deserializer
    never raises, so an undecodable request is answered here too instead of by grpcio (UNKNOWN)."""

    def __init__(self, pool: descriptor_pool.DescriptorPool | None = None) -> None:
        self._pool = pool or descriptor_pool.Default()
        # Per method path, made on its first call instead of on every call: the request's descriptor (None when
        # the pool does not know the method) and the tolerant twin of the registered deserializer.
        self._inputs: dict[str, Descriptor | None] = {}
        self._deserializers: dict[str, tuple[Callable[[bytes], Any], Callable[[bytes], Any]]] = {}

    def _input(self, path: str) -> Descriptor | None:
        if path not in self._inputs:
            try:
                self._inputs[path] = self._pool.FindMethodByName(path.lstrip("/").replace("/", ".")).input_type
            except KeyError:
                self._inputs[path] = None
        return self._inputs[path]

    def _tolerant(self, path: str, parse: Callable[[bytes], Any], descriptor: Descriptor) -> Callable[[bytes], Any]:
        cached = self._deserializers.get(path)
        if cached is None or cached[0] is not parse:
            cached = self._deserializers[path] = (parse, tolerant(parse, descriptor))
        return cached[1]

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        path = handler_call_details.method
        descriptor = self._input(path)
        if descriptor is None:
            return handler
        if handler.request_deserializer is not None:
            deserializer = self._tolerant(path, handler.request_deserializer, descriptor)
            handler = handler._replace(request_deserializer=deserializer)
        return _wrap(handler, handler_call_details, _nothing_around, checked)


@contextlib.asynccontextmanager
async def _nothing_around(details: grpc.HandlerCallDetails, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    yield
