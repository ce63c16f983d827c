"""Domain errors: handlers raise these; the error interceptor turns them into google.rpc.Status."""

from collections.abc import Mapping

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from voketag.common.v1 import errors_pb2

# ErrorInfo.domain for every error this mesh produces.
DOMAIN = "voketag.io"

_REASON_PREFIX = "ERROR_REASON_"
# The contract (proto/voketag/common/v1/errors.proto) is the one list of reasons: ErrorInfo.reason is an
# ErrorReason value name without its prefix. UNSPECIFIED is never sent.
REASONS = frozenset(
    value.name.removeprefix(_REASON_PREFIX)
    for value in errors_pb2.ErrorReason.DESCRIPTOR.values
    if value.number != errors_pb2.ERROR_REASON_UNSPECIFIED
)


class DomainError(Exception):
    """An expected failure with a canonical code, a stable machine-readable reason and a safe message.

    ``reason`` must be a value of ``voketag.common.v1.ErrorReason`` without its ``ERROR_REASON_`` prefix; any
    other reason raises ValueError at construction, so a typo fails where the error is made.
    """

    code = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        fields: Mapping[str, str] | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        if reason not in REASONS:
            raise ValueError(
                f"unknown error reason {reason!r}: add ERROR_REASON_{reason} to ErrorReason in "
                "proto/voketag/common/v1/errors.proto (then make gen) or use an existing reason"
            )
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})
        self.fields = dict(fields or {})
        self.retry_after_s = retry_after_s

    def to_status(self) -> status_pb2.Status:
        details = [error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=self.metadata)]
        if self.fields:
            violations = [
                error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
                for field, description in self.fields.items()
            ]
            details.append(error_details_pb2.BadRequest(field_violations=violations))
        if self.retry_after_s is not None:
            delay = duration_pb2.Duration()
            delay.FromMilliseconds(round(self.retry_after_s * 1000))
            details.append(error_details_pb2.RetryInfo(retry_delay=delay))
        packed = []
        for detail in details:
            box = any_pb2.Any()
            box.Pack(detail)
            packed.append(box)
        return status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE


class Unimplemented(DomainError):
    code = grpc.StatusCode.UNIMPLEMENTED
