from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RiskFactorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RISK_FACTOR_KIND_UNSPECIFIED: _ClassVar[RiskFactorKind]
    RISK_FACTOR_KIND_TOKEN_VALIDITY: _ClassVar[RiskFactorKind]
    RISK_FACTOR_KIND_SCAN_COUNT: _ClassVar[RiskFactorKind]
    RISK_FACTOR_KIND_DISTINCT_DEVICES: _ClassVar[RiskFactorKind]
    RISK_FACTOR_KIND_GEO_DISPERSION: _ClassVar[RiskFactorKind]
    RISK_FACTOR_KIND_DEVICE_VELOCITY: _ClassVar[RiskFactorKind]
    RISK_FACTOR_KIND_LIFECYCLE: _ClassVar[RiskFactorKind]
    RISK_FACTOR_KIND_FRAUD_REPORTS: _ClassVar[RiskFactorKind]
RISK_FACTOR_KIND_UNSPECIFIED: RiskFactorKind
RISK_FACTOR_KIND_TOKEN_VALIDITY: RiskFactorKind
RISK_FACTOR_KIND_SCAN_COUNT: RiskFactorKind
RISK_FACTOR_KIND_DISTINCT_DEVICES: RiskFactorKind
RISK_FACTOR_KIND_GEO_DISPERSION: RiskFactorKind
RISK_FACTOR_KIND_DEVICE_VELOCITY: RiskFactorKind
RISK_FACTOR_KIND_LIFECYCLE: RiskFactorKind
RISK_FACTOR_KIND_FRAUD_REPORTS: RiskFactorKind

class RiskFactor(_message.Message):
    __slots__ = ("kind", "value", "contribution", "available", "explanation")
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    kind: RiskFactorKind
    value: float
    contribution: int
    available: bool
    explanation: str
    def __init__(self, kind: _Optional[_Union[RiskFactorKind, str]] = ..., value: _Optional[float] = ..., contribution: _Optional[int] = ..., available: _Optional[bool] = ..., explanation: _Optional[str] = ...) -> None: ...
