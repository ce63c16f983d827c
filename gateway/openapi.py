"""The OpenAPI 3.0 description of the REST mapping, generated from the contracts in proto/.

    python -m gateway.openapi --out gateway/openapi.json      (run by `make gen`, drift-checked by `make check-gen`)

Every path, parameter and schema comes from the google.api.http rules and messages of the contracts (compiled with
their comments, which become summaries and descriptions); who may call an operation comes from the access policy
each servicer declares (voketag.auth). Field names are the proto3 JSON names Envoy's transcoder prints; 64-bit
integers are strings as in proto3 JSON. Nothing is written by hand.
"""

import argparse
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from voketag.auth import policy_of

ROOT = Path(__file__).resolve().parents[1]
OUT_PATH = Path(__file__).with_name("openapi.json")
F = descriptor_pb2.FieldDescriptorProto
_INT64 = {"type": "string", "format": "int64"}
_SCALARS: dict[int, dict[str, Any]] = {
    F.TYPE_DOUBLE: {"type": "number", "format": "double"},
    F.TYPE_FLOAT: {"type": "number", "format": "float"},
    F.TYPE_INT64: _INT64,
    F.TYPE_SINT64: _INT64,
    F.TYPE_SFIXED64: _INT64,
    F.TYPE_UINT64: {**_INT64, "pattern": "^[0-9]+$"},
    F.TYPE_FIXED64: {**_INT64, "pattern": "^[0-9]+$"},
    F.TYPE_INT32: {"type": "integer", "format": "int32"},
    F.TYPE_SINT32: {"type": "integer", "format": "int32"},
    F.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    F.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0, "maximum": 4294967295},
    F.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0, "maximum": 4294967295},
    F.TYPE_BOOL: {"type": "boolean"},
    F.TYPE_STRING: {"type": "string"},
    F.TYPE_BYTES: {"type": "string", "format": "byte"},
}
# Well-known types in their proto3 JSON form.
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$"},
    "google.protobuf.FieldMask": {"type": "string", "description": "Comma-separated field paths."},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
    },
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.Empty": {"type": "object"},
}
HTTP_BODY = "google.api.HttpBody"
_RAW = {"schema": {"type": "string", "format": "binary"}}
_TEMPLATE_VARIABLE = re.compile(r"\{([^}=]+)(=[^}]*)?\}")


def path_parameter(field_path: str) -> str:
    """The OpenAPI name of a path variable: a nested field path (report.id) as report_id, which tools accept."""
    return field_path.replace(".", "_")


def compile_contracts() -> descriptor_pb2.FileDescriptorSet:
    """The contracts with their comments (gateway/voketag.binpb is built without source info)."""
    files = sorted(str(path.relative_to(ROOT / "proto")) for path in (ROOT / "proto").rglob("*.proto"))
    # The error body of every operation (committed under third_party/ with the googleapis files).
    files += ["google/rpc/status.proto", "google/rpc/error_details.proto"]
    well_known = resources.files("grpc_tools") / "_proto"
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "contracts.binpb"
        args = ["protoc", f"-I{ROOT / 'proto'}", f"-I{ROOT / 'third_party'}", f"-I{well_known}"]
        args += ["--include_imports", "--include_source_info", f"--descriptor_set_out={out}", *files]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _comment(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return " ".join(line for line in lines if line and not line.startswith("buf:lint:"))


class Generator:
    def __init__(self, files: Iterable[descriptor_pb2.FileDescriptorProto], policies: dict[str, str]) -> None:
        self._messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self._enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        self._comments: dict[str, str] = {}
        self._services: list[tuple[str, descriptor_pb2.ServiceDescriptorProto]] = []
        self._policies = policies
        self._schemas: dict[str, dict[str, Any]] = {}
        for file in files:
            self._index(file)

    def _index(self, file: descriptor_pb2.FileDescriptorProto) -> None:
        by_path = {tuple(loc.path): loc.leading_comments for loc in file.source_code_info.location}
        package = file.package

        def walk(messages: Sequence[descriptor_pb2.DescriptorProto], prefix: str, path: tuple[int, ...]) -> None:
            for index, message in enumerate(messages):
                name = f"{prefix}.{message.name}"
                here = (*path, index)
                self._messages[name] = message
                self._comments[name] = _comment(by_path.get(here, ""))
                for number, field in enumerate(message.field):
                    self._comments[f"{name}.{field.name}"] = _comment(by_path.get((*here, 2, number), ""))
                for number, enum in enumerate(message.enum_type):
                    self._enums[f"{name}.{enum.name}"] = enum
                    self._comments[f"{name}.{enum.name}"] = _comment(by_path.get((*here, 4, number), ""))
                walk(message.nested_type, name, (*here, 3))

        walk(file.message_type, package, (4,))
        for index, enum in enumerate(file.enum_type):
            self._enums[f"{package}.{enum.name}"] = enum
            self._comments[f"{package}.{enum.name}"] = _comment(by_path.get((5, index), ""))
        for index, service in enumerate(file.service):
            full = f"{package}.{service.name}"
            self._services.append((full, service))
            self._comments[full] = _comment(by_path.get((6, index), ""))
            for number, method in enumerate(service.method):
                self._comments[f"{full}.{method.name}"] = _comment(by_path.get((6, index, 2, number), ""))

    # --- schemas ----------------------------------------------------------------------------------------------

    def _ref(self, type_name: str) -> dict[str, Any]:
        name = type_name.lstrip(".")
        if name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[name])
        if name not in self._schemas:
            self._schemas[name] = {}  # reserved first: recursive messages refer to themselves
            self._schemas[name] = self._enum_schema(name) if name in self._enums else self._message_schema(name)
        return {"$ref": f"#/components/schemas/{name}"}

    def _enum_schema(self, name: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "enum": [value.name for value in self._enums[name].value]}
        if self._comments.get(name):
            schema["description"] = self._comments[name]
        return schema

    def _field_schema(self, field: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        if field.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
            entry = self._messages.get(field.type_name.lstrip("."))
            if entry is not None and entry.options.map_entry:
                return {"type": "object", "additionalProperties": self._field_schema(entry.field[1])}
            single = self._ref(field.type_name)
        else:
            single = dict(_SCALARS[field.type])
        if field.label == F.LABEL_REPEATED:
            return {"type": "array", "items": single}
        return single

    def _message_schema(self, name: str) -> dict[str, Any]:
        properties = {}
        for field in self._messages[name].field:
            schema = self._field_schema(field)
            description = self._comments.get(f"{name}.{field.name}")
            if description:
                schema = {"allOf": [schema], "description": description} if "$ref" in schema else schema
                schema.setdefault("description", description)
            properties[field.json_name] = schema
        schema = {"type": "object", "properties": properties}
        if self._comments.get(name):
            schema["description"] = self._comments[name]
        return schema

    # --- operations -------------------------------------------------------------------------------------------

    def _query_parameters(self, message: str, skip: set[str], prefix: str = "") -> list[dict[str, Any]]:
        """Fields of a GET/DELETE request as query parameters (nested messages as dotted names)."""
        parameters = []
        for field in self._messages[message].field:
            name = prefix + field.json_name
            if field.name in skip or name in skip:
                continue
            nested = field.type_name.lstrip(".")
            if field.type == F.TYPE_MESSAGE and nested not in _WELL_KNOWN:
                if field.label != F.LABEL_REPEATED and not self._messages[nested].options.map_entry:
                    parameters += self._query_parameters(nested, set(), f"{name}.")
                continue
            parameter: dict[str, Any] = {"name": name, "in": "query", "schema": self._field_schema(field)}
            if self._comments.get(f"{message}.{field.name}"):
                parameter["description"] = self._comments[f"{message}.{field.name}"]
            parameters.append(parameter)
        return parameters

    def _operation(
        self, service: str, method: descriptor_pb2.MethodDescriptorProto, rule: http_pb2.HttpRule
    ) -> tuple[str, str, dict[str, Any]]:
        verb = rule.WhichOneof("pattern")
        template = getattr(rule, verb)
        path_fields = [match.group(1) for match in _TEMPLATE_VARIABLE.finditer(template)]
        path = _TEMPLATE_VARIABLE.sub(lambda match: "{" + path_parameter(match.group(1)) + "}", template)
        request = method.input_type.lstrip(".")
        parameters = [
            {
                "name": path_parameter(name),
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": f"Binds the request field `{name}`.",
            }
            for name in path_fields
        ]
        operation: dict[str, Any] = {"operationId": f"{service.rsplit('.', 1)[1]}_{method.name}"}
        operation["tags"] = [service.rsplit(".", 1)[1]]
        comment = self._comments.get(f"{service}.{method.name}", "")
        if comment:
            operation["summary"] = comment.split(". ")[0].rstrip(".")[:120]
            operation["description"] = comment
        if rule.body == "*":
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self._ref(method.input_type)}},
            }
        elif rule.body:
            (body_field,) = [f for f in self._messages[request].field if f.name == rule.body]
            content = (
                {"*/*": _RAW}
                if body_field.type_name.lstrip(".") == HTTP_BODY
                else {"application/json": {"schema": self._field_schema(body_field)}}
            )
            operation["requestBody"] = {"required": True, "content": content}
            parameters += self._query_parameters(request, {*path_fields, rule.body})
        else:
            parameters += self._query_parameters(request, set(path_fields))
        if parameters:
            operation["parameters"] = parameters
        response = method.output_type.lstrip(".")
        success = {"*/*": _RAW} if response == HTTP_BODY else {"application/json": {"schema": self._ref(response)}}
        operation["responses"] = {
            "200": {"description": "OK", "content": success},
            "default": {
                "description": "An error: google.rpc.Status with ErrorInfo (and BadRequest for field problems)",
                "content": {"application/json": {"schema": self._ref(".google.rpc.Status")}},
            },
        }
        callers = self._policies.get(f"{service}.{method.name}")
        if callers == "public":
            operation["security"] = []
        elif callers:
            operation["description"] = f"{operation.get('description', '')}\n\nCallers: {callers}.".strip()
        return path, verb, operation

    def document(self) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        tags = []
        for service, descriptor in self._services:
            if not any(method.options.HasExtension(annotations_pb2.http) for method in descriptor.method):
                continue
            tags.append({"name": service.rsplit(".", 1)[1], "description": self._comments.get(service, "")})
            for method in descriptor.method:
                if not method.options.HasExtension(annotations_pb2.http):
                    continue
                rule = method.options.Extensions[annotations_pb2.http]
                for index, binding in enumerate([rule, *rule.additional_bindings]):
                    path, verb, operation = self._operation(service, method, binding)
                    if index:
                        operation["operationId"] += f"_{index + 1}"
                    paths.setdefault(path, {})[verb] = operation
        return {
            "openapi": "3.0.3",
            "info": {
                "title": "VokeTag REST API",
                "version": "1",
                "description": (
                    "The REST mapping of the VokeTag contracts as Envoy transcodes it (generated from proto/). "
                    "Errors are google.rpc.Status JSON; authenticated calls carry a bearer JWT."
                ),
            },
            "servers": [{"url": "/"}],
            "tags": tags,
            "paths": dict(sorted(paths.items())),
            "components": {
                "schemas": dict(sorted(self._schemas.items())),
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            },
            "security": [{"bearerAuth": []}],
        }


def policies() -> dict[str, str]:
    """Who may call each RPC, from the servicers' declarations: 'public' or the roles."""
    from admin_svc.api import AdminApi
    from anchor_svc.api import AnchorApi
    from factory_svc.api import FactoryApi
    from scan_svc.api import ScanApi

    found = {}
    for service, servicer in (
        ("voketag.scan.v1.ScanService", ScanApi),
        ("voketag.factory.v1.FactoryService", FactoryApi),
        ("voketag.admin.v1.AdminService", AdminApi),
        ("voketag.anchor.v1.AnchorService", AnchorApi),
    ):
        for name in dir(servicer):
            policy = policy_of(getattr(servicer, name))
            if policy is not None:
                roles = ", ".join(sorted(f"ROLE_{role.name}" for role in policy.roles))
                found[f"{service}.{name}"] = "public" if policy.public else roles
    return found


def generate() -> str:
    document = Generator(compile_contracts().file, policies()).document()
    return json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.openapi", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT_PATH)
    args = parser.parse_args(argv)
    args.out.write_text(generate(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
