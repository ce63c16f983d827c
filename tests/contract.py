"""The REST surface as the contract declares it: the google.api.http rules of the descriptor set Envoy loads."""

import re
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2

from gateway.render import DESCRIPTOR_PATH

# Service -> Envoy cluster; also the services the transcoder exposes.
CLUSTERS = {
    "voketag.scan.v1.ScanService": "scan",
    "voketag.factory.v1.FactoryService": "factory",
    "voketag.admin.v1.AdminService": "admin",
    "voketag.anchor.v1.AnchorService": "anchor",
}
_VERBS = ("get", "put", "post", "delete", "patch")
_VARIABLE = re.compile(r"\{([^}=]+)(?:=([^}]*))?\}")


@dataclass(frozen=True)
class Rule:
    service: str
    method: str
    verb: str
    template: str
    streaming: bool
    # the request message (full name) and the field the HTTP body maps to ("*", a field name, or "" for none)
    input_type: str
    body: str

    @property
    def sample_path(self) -> str:
        """A concrete path the template matches: each variable becomes one segment (two for '**')."""
        return self.path_with("x1")

    def path_with(self, segment: str) -> str:
        """The template with every variable replaced by ``segment`` (already percent-encoded as it should travel)."""
        return _VARIABLE.sub(lambda m: f"{segment}/{segment}" if m.group(2) == "**" else segment, self.template)

    @property
    def path_fields(self) -> list[str]:
        """Field paths the template binds ("id", "report.id")."""
        return [m.group(1) for m in _VARIABLE.finditer(self.template)]


def _bindings(rule: http_pb2.HttpRule) -> list[tuple[str, str, str]]:
    found = [(verb.upper(), getattr(rule, verb), rule.body) for verb in _VERBS if getattr(rule, verb)]
    if rule.HasField("custom"):
        found.append((rule.custom.kind, rule.custom.path, rule.body))
    for extra in rule.additional_bindings:
        found += _bindings(extra)
    return found


def contract_rules() -> list[Rule]:
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_PATH.read_bytes())
    rules = []
    for file in files.file:
        for service in file.service:
            name = f"{file.package}.{service.name}"
            if name not in CLUSTERS:
                continue
            for method in service.method:
                streaming = method.server_streaming or method.client_streaming
                for verb, template, body in _bindings(method.options.Extensions[annotations_pb2.http]):
                    rules.append(
                        Rule(name, method.name, verb, template, streaming, method.input_type.lstrip("."), body)
                    )
    return rules
