"""Field rules every request meets before any handler runs, decided here once for all four services.

What the contracts' types alone allow but nothing behind them accepts:
  - strings that are not UTF-8 (grpcio fails to decode the message and would answer UNKNOWN, naming the
    protobuf exception and the message type; Envoy passes percent-decoded path and query bytes through as-is);
  - NUL characters in strings (PostgreSQL text cannot hold them);
  - enum numbers the contract does not define (proto3 enums are open, JSON and the wire accept any number);
  - unsigned 64-bit integers above PostgreSQL's bigint, where every integer of the mesh is stored.
Each is INVALID_ARGUMENT with reason INVALID_FIELD and a BadRequest naming the field by its proto path.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from voketag.errors import InvalidArgument

BIGINT_MAX = (1 << 63) - 1
# Enough to fix a request; a hostile one with thousands of bad fields does not get a thousand-line answer.
_MAX_VIOLATIONS = 20
_UNSIGNED_64 = (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64)
# google.protobuf.Any carries serialized bytes of a type this server may not know: its payload is not walked.
_OPAQUE = frozenset({"google.protobuf.Any"})


class Undecodable:
    """Stands in for a request grpcio could not parse, so that the error is raised where errors are mapped.

    ``field`` names the string that is not UTF-8; empty when the wire data itself is broken.
    """

    def __init__(self, field: str) -> None:
        self.field = field


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def bad_utf8_field(descriptor: Descriptor, data: bytes, prefix: str = "") -> str | None:
    """The proto path of the first string field in ``data`` that is not UTF-8, from the wire format.

    The protobuf runtime only says "String field had bad UTF-8"; clients need the field's name.
    """
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = _varint(data, pos)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 5:
            pos += 4
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            chunk, pos = data[pos : pos + length], pos + length
            field = descriptor.fields_by_number.get(number)
            if field is None:
                continue
            path = prefix + field.name
            if field.type == FieldDescriptor.TYPE_STRING:
                try:
                    chunk.decode("utf-8")
                except UnicodeDecodeError:
                    return path
            elif field.message_type is not None and field.message_type.full_name not in _OPAQUE:
                found = bad_utf8_field(field.message_type, chunk, path + ".")
                if found:
                    return found
        else:
            return None
    return None


def _values(field: FieldDescriptor, value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if not field.is_repeated:
        yield path, value
    elif field.message_type is not None and field.message_type.GetOptions().map_entry:
        value_field = field.message_type.fields_by_name["value"]
        for key, item in value.items():
            yield f"{path}.key", key
            if value_field.type in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_STRING):
                yield f"{path}[{key!r}]", item
    else:
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item


def _check(message: Message, prefix: str, found: dict[str, str]) -> None:
    for field, value in message.ListFields():
        for path, item in _values(field, value, prefix + field.name):
            if len(found) >= _MAX_VIOLATIONS:
                return
            if isinstance(item, Message):
                if item.DESCRIPTOR.full_name not in _OPAQUE:
                    _check(item, path + ".", found)
            elif isinstance(item, str):
                if "\x00" in item:
                    found[path] = "must not contain NUL characters"
            elif field.enum_type is not None:
                if item not in field.enum_type.values_by_number:
                    found[path] = f"{item} is not a known value"
            elif field.type in _UNSIGNED_64 and item > BIGINT_MAX:
                found[path] = f"must be at most {BIGINT_MAX}"


def violations(message: Message) -> dict[str, str]:
    """Field path -> what is wrong with it, for every rule of this module the message breaks."""
    found: dict[str, str] = {}
    _check(message, "", found)
    return found


def check(request: Any) -> None:
    """Raise InvalidArgument naming every field that breaks a rule; return if the request is fine."""
    if isinstance(request, Undecodable):
        if not request.field:
            raise InvalidArgument("REQUEST_MALFORMED", "the request could not be decoded")
        problem = "must be valid UTF-8"
        raise InvalidArgument("INVALID_FIELD", f"{request.field}: {problem}", fields={request.field: problem})
    if isinstance(request, Message):
        found = violations(request)
        if found:
            summary = "; ".join(f"{path}: {problem}" for path, problem in found.items())
            raise InvalidArgument("INVALID_FIELD", f"invalid fields: {summary}", fields=found)


async def _checked_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        check(request)
        yield request


def checked(request: Any, streaming: bool) -> Any:
    """What the handler gets: the request once it passed ``check``, or a request stream that checks each message."""
    if streaming:
        return _checked_stream(request)
    check(request)
    return request


def tolerant(parse: Callable[[bytes], Any], descriptor: Descriptor) -> Callable[[bytes], Any]:
    """A request deserializer that never raises: an undecodable message becomes ``Undecodable``."""

    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except DecodeError:
            try:
                field = bad_utf8_field(descriptor, data)
            except IndexError:  # truncated wire data: the message as a whole is at fault
                field = None
            return Undecodable(field or "")

    return deserialize
