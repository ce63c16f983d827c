import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voketag.common.v1 import anchor_pb2 as _anchor_pb2
from voketag.common.v1 import enums_pb2 as _enums_pb2
from voketag.common.v1 import risk_pb2 as _risk_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CoarseLocation(_message.Message):
    __slots__ = ("latitude", "longitude", "country_code")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    country_code: str
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., country_code: _Optional[str] = ...) -> None: ...

class VerifyTokenRequest(_message.Message):
    __slots__ = ("token", "location", "device_hint")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DEVICE_HINT_FIELD_NUMBER: _ClassVar[int]
    token: str
    location: CoarseLocation
    device_hint: str
    def __init__(self, token: _Optional[str] = ..., location: _Optional[_Union[CoarseLocation, _Mapping]] = ..., device_hint: _Optional[str] = ...) -> None: ...

class ProductFacts(_message.Message):
    __slots__ = ("product_id", "serial", "sku", "product_line", "name", "lifecycle", "lifecycle_reason", "external_id")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_REASON_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    serial: int
    sku: str
    product_line: str
    name: str
    lifecycle: _enums_pb2.LifecycleState
    lifecycle_reason: str
    external_id: str
    def __init__(self, product_id: _Optional[str] = ..., serial: _Optional[int] = ..., sku: _Optional[str] = ..., product_line: _Optional[str] = ..., name: _Optional[str] = ..., lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., lifecycle_reason: _Optional[str] = ..., external_id: _Optional[str] = ...) -> None: ...

class BatchFacts(_message.Message):
    __slots__ = ("batch_id", "state", "lifecycle", "created_at", "lifecycle_reason", "factory_name")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_REASON_FIELD_NUMBER: _ClassVar[int]
    FACTORY_NAME_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    state: _enums_pb2.BatchState
    lifecycle: _enums_pb2.LifecycleState
    created_at: _timestamp_pb2.Timestamp
    lifecycle_reason: str
    factory_name: str
    def __init__(self, batch_id: _Optional[str] = ..., state: _Optional[_Union[_enums_pb2.BatchState, str]] = ..., lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifecycle_reason: _Optional[str] = ..., factory_name: _Optional[str] = ...) -> None: ...

class VerifyTokenResponse(_message.Message):
    __slots__ = ("verdict", "product", "batch", "anchor", "scan_count", "first_scanned_at", "risk_score", "factors", "scan_id", "scanned_at", "ledger_sequence", "message", "receipt")
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    SCAN_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_SCANNED_AT_FIELD_NUMBER: _ClassVar[int]
    RISK_SCORE_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    SCAN_ID_FIELD_NUMBER: _ClassVar[int]
    SCANNED_AT_FIELD_NUMBER: _ClassVar[int]
    LEDGER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    verdict: _enums_pb2.Verdict
    product: ProductFacts
    batch: BatchFacts
    anchor: _anchor_pb2.AnchorInfo
    scan_count: int
    first_scanned_at: _timestamp_pb2.Timestamp
    risk_score: int
    factors: _containers.RepeatedCompositeFieldContainer[_risk_pb2.RiskFactor]
    scan_id: str
    scanned_at: _timestamp_pb2.Timestamp
    ledger_sequence: int
    message: str
    receipt: ScanReceipt
    def __init__(self, verdict: _Optional[_Union[_enums_pb2.Verdict, str]] = ..., product: _Optional[_Union[ProductFacts, _Mapping]] = ..., batch: _Optional[_Union[BatchFacts, _Mapping]] = ..., anchor: _Optional[_Union[_anchor_pb2.AnchorInfo, _Mapping]] = ..., scan_count: _Optional[int] = ..., first_scanned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., risk_score: _Optional[int] = ..., factors: _Optional[_Iterable[_Union[_risk_pb2.RiskFactor, _Mapping]]] = ..., scan_id: _Optional[str] = ..., scanned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ledger_sequence: _Optional[int] = ..., message: _Optional[str] = ..., receipt: _Optional[_Union[ScanReceipt, _Mapping]] = ...) -> None: ...

class ScanReceipt(_message.Message):
    __slots__ = ("leaf_index", "leaf_hash", "scanned_at", "note", "proof_path")
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    SCANNED_AT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    PROOF_PATH_FIELD_NUMBER: _ClassVar[int]
    leaf_index: int
    leaf_hash: bytes
    scanned_at: _timestamp_pb2.Timestamp
    note: str
    proof_path: str
    def __init__(self, leaf_index: _Optional[int] = ..., leaf_hash: _Optional[bytes] = ..., scanned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ..., proof_path: _Optional[str] = ...) -> None: ...

class ReportFraudRequest(_message.Message):
    __slots__ = ("token", "contact", "description", "scan_id", "location", "request_id", "device_hint")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SCAN_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_HINT_FIELD_NUMBER: _ClassVar[int]
    token: str
    contact: str
    description: str
    scan_id: str
    location: CoarseLocation
    request_id: str
    device_hint: str
    def __init__(self, token: _Optional[str] = ..., contact: _Optional[str] = ..., description: _Optional[str] = ..., scan_id: _Optional[str] = ..., location: _Optional[_Union[CoarseLocation, _Mapping]] = ..., request_id: _Optional[str] = ..., device_hint: _Optional[str] = ...) -> None: ...

class ReportFraudResponse(_message.Message):
    __slots__ = ("report_id", "created_at")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, report_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RenderPageRequest(_message.Message):
    __slots__ = ("token", "lang")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    token: str
    lang: str
    def __init__(self, token: _Optional[str] = ..., lang: _Optional[str] = ...) -> None: ...

class LedgerCheckpoint(_message.Message):
    __slots__ = ("tree_size", "root_hash", "head_hash", "created_at", "signature", "key_id")
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    HEAD_HASH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    root_hash: bytes
    head_hash: bytes
    created_at: _timestamp_pb2.Timestamp
    signature: bytes
    key_id: str
    def __init__(self, tree_size: _Optional[int] = ..., root_hash: _Optional[bytes] = ..., head_hash: _Optional[bytes] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class VerifyLedgerRequest(_message.Message):
    __slots__ = ("from_sequence", "to_sequence")
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    from_sequence: int
    to_sequence: int
    def __init__(self, from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class VerifyLedgerResponse(_message.Message):
    __slots__ = ("ok", "entries_checked", "first_bad_sequence", "problem", "checkpoint", "unchecked_scans")
    OK_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    UNCHECKED_SCANS_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    entries_checked: int
    first_bad_sequence: int
    problem: str
    checkpoint: LedgerCheckpoint
    unchecked_scans: int
    def __init__(self, ok: _Optional[bool] = ..., entries_checked: _Optional[int] = ..., first_bad_sequence: _Optional[int] = ..., problem: _Optional[str] = ..., checkpoint: _Optional[_Union[LedgerCheckpoint, _Mapping]] = ..., unchecked_scans: _Optional[int] = ...) -> None: ...

class GetLedgerCheckpointRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLedgerCheckpointResponse(_message.Message):
    __slots__ = ("checkpoint",)
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: LedgerCheckpoint
    def __init__(self, checkpoint: _Optional[_Union[LedgerCheckpoint, _Mapping]] = ...) -> None: ...

class GetLedgerCheckpointNoteRequest(_message.Message):
    __slots__ = ("tree_size",)
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    def __init__(self, tree_size: _Optional[int] = ...) -> None: ...

class GetLedgerInclusionProofRequest(_message.Message):
    __slots__ = ("leaf_index", "tree_size")
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    leaf_index: int
    tree_size: int
    def __init__(self, leaf_index: _Optional[int] = ..., tree_size: _Optional[int] = ...) -> None: ...

class GetLedgerInclusionProofResponse(_message.Message):
    __slots__ = ("leaf_index", "tree_size", "leaf_hash", "proof", "checkpoint_note")
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_NOTE_FIELD_NUMBER: _ClassVar[int]
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    proof: _containers.RepeatedScalarFieldContainer[bytes]
    checkpoint_note: str
    def __init__(self, leaf_index: _Optional[int] = ..., tree_size: _Optional[int] = ..., leaf_hash: _Optional[bytes] = ..., proof: _Optional[_Iterable[bytes]] = ..., checkpoint_note: _Optional[str] = ...) -> None: ...

class GetScanReceiptRequest(_message.Message):
    __slots__ = ("leaf_index",)
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    leaf_index: int
    def __init__(self, leaf_index: _Optional[int] = ...) -> None: ...

class GetScanReceiptResponse(_message.Message):
    __slots__ = ("receipt",)
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    receipt: ScanReceipt
    def __init__(self, receipt: _Optional[_Union[ScanReceipt, _Mapping]] = ...) -> None: ...

class AddLedgerCosignatureRequest(_message.Message):
    __slots__ = ("tree_size", "cosignature")
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    COSIGNATURE_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    cosignature: str
    def __init__(self, tree_size: _Optional[int] = ..., cosignature: _Optional[str] = ...) -> None: ...

class AddLedgerCosignatureResponse(_message.Message):
    __slots__ = ("checkpoint_note",)
    CHECKPOINT_NOTE_FIELD_NUMBER: _ClassVar[int]
    checkpoint_note: str
    def __init__(self, checkpoint_note: _Optional[str] = ...) -> None: ...

class GetLedgerConsistencyProofRequest(_message.Message):
    __slots__ = ("first_tree_size", "second_tree_size")
    FIRST_TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECOND_TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    first_tree_size: int
    second_tree_size: int
    def __init__(self, first_tree_size: _Optional[int] = ..., second_tree_size: _Optional[int] = ...) -> None: ...

class GetLedgerConsistencyProofResponse(_message.Message):
    __slots__ = ("first_tree_size", "second_tree_size", "proof", "first_root_hash", "second_root_hash", "checkpoint")
    FIRST_TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECOND_TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PROOF_FIELD_NUMBER: _ClassVar[int]
    FIRST_ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    SECOND_ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    first_tree_size: int
    second_tree_size: int
    proof: _containers.RepeatedScalarFieldContainer[bytes]
    first_root_hash: bytes
    second_root_hash: bytes
    checkpoint: LedgerCheckpoint
    def __init__(self, first_tree_size: _Optional[int] = ..., second_tree_size: _Optional[int] = ..., proof: _Optional[_Iterable[bytes]] = ..., first_root_hash: _Optional[bytes] = ..., second_root_hash: _Optional[bytes] = ..., checkpoint: _Optional[_Union[LedgerCheckpoint, _Mapping]] = ...) -> None: ...

class ResolveDigitalLinkRequest(_message.Message):
    __slots__ = ("path", "query", "accept")
    PATH_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    path: str
    query: str
    accept: str
    def __init__(self, path: _Optional[str] = ..., query: _Optional[str] = ..., accept: _Optional[str] = ...) -> None: ...
