import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voketag.common.v1 import anchor_pb2 as _anchor_pb2
from voketag.common.v1 import enums_pb2 as _enums_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnchorRecord(_message.Message):
    __slots__ = ("batch_id", "state", "attempts", "last_error", "tx_hash", "block_number", "confirmations", "required_confirmations", "chain_id", "batch_root", "batch_size", "aggregate_root", "aggregate_index", "aggregate_size", "sender", "nonce", "created_at", "updated_at", "submitted_at", "anchored_at", "next_attempt_at", "factory_id")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ROOT_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_INDEX_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    ANCHORED_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    state: _enums_pb2.AnchorState
    attempts: int
    last_error: str
    tx_hash: str
    block_number: int
    confirmations: int
    required_confirmations: int
    chain_id: int
    batch_root: bytes
    batch_size: int
    aggregate_root: bytes
    aggregate_index: int
    aggregate_size: int
    sender: str
    nonce: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    submitted_at: _timestamp_pb2.Timestamp
    anchored_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    factory_id: str
    def __init__(self, batch_id: _Optional[str] = ..., state: _Optional[_Union[_enums_pb2.AnchorState, str]] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., tx_hash: _Optional[str] = ..., block_number: _Optional[int] = ..., confirmations: _Optional[int] = ..., required_confirmations: _Optional[int] = ..., chain_id: _Optional[int] = ..., batch_root: _Optional[bytes] = ..., batch_size: _Optional[int] = ..., aggregate_root: _Optional[bytes] = ..., aggregate_index: _Optional[int] = ..., aggregate_size: _Optional[int] = ..., sender: _Optional[str] = ..., nonce: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., anchored_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., factory_id: _Optional[str] = ...) -> None: ...

class AnchorRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class AnchorResponse(_message.Message):
    __slots__ = ("anchor",)
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    anchor: AnchorRecord
    def __init__(self, anchor: _Optional[_Union[AnchorRecord, _Mapping]] = ...) -> None: ...

class GetAnchorRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class GetAnchorResponse(_message.Message):
    __slots__ = ("anchor",)
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    anchor: AnchorRecord
    def __init__(self, anchor: _Optional[_Union[AnchorRecord, _Mapping]] = ...) -> None: ...

class VerifyAnchorRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class VerifyAnchorResponse(_message.Message):
    __slots__ = ("batch_id", "ok", "tx_found", "sender_matches", "data_matches", "confirmations", "required_confirmations", "block_number", "chain_id", "tx_hash", "explanation", "checked_at")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    TX_FOUND_FIELD_NUMBER: _ClassVar[int]
    SENDER_MATCHES_FIELD_NUMBER: _ClassVar[int]
    DATA_MATCHES_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    CHECKED_AT_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    ok: bool
    tx_found: bool
    sender_matches: bool
    data_matches: bool
    confirmations: int
    required_confirmations: int
    block_number: int
    chain_id: int
    tx_hash: str
    explanation: str
    checked_at: _timestamp_pb2.Timestamp
    def __init__(self, batch_id: _Optional[str] = ..., ok: _Optional[bool] = ..., tx_found: _Optional[bool] = ..., sender_matches: _Optional[bool] = ..., data_matches: _Optional[bool] = ..., confirmations: _Optional[int] = ..., required_confirmations: _Optional[int] = ..., block_number: _Optional[int] = ..., chain_id: _Optional[int] = ..., tx_hash: _Optional[str] = ..., explanation: _Optional[str] = ..., checked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetMerkleProofRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetMerkleProofResponse(_message.Message):
    __slots__ = ("proof",)
    PROOF_FIELD_NUMBER: _ClassVar[int]
    proof: _anchor_pb2.ProofBundle
    def __init__(self, proof: _Optional[_Union[_anchor_pb2.ProofBundle, _Mapping]] = ...) -> None: ...

class LookupMerkleProofRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class LookupMerkleProofResponse(_message.Message):
    __slots__ = ("proof",)
    PROOF_FIELD_NUMBER: _ClassVar[int]
    proof: _anchor_pb2.ProofBundle
    def __init__(self, proof: _Optional[_Union[_anchor_pb2.ProofBundle, _Mapping]] = ...) -> None: ...

class ListAnchorsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "factory_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: _enums_pb2.AnchorState
    factory_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[_enums_pb2.AnchorState, str]] = ..., factory_id: _Optional[str] = ...) -> None: ...

class ListAnchorsResponse(_message.Message):
    __slots__ = ("anchors", "next_page_token")
    ANCHORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    anchors: _containers.RepeatedCompositeFieldContainer[AnchorRecord]
    next_page_token: str
    def __init__(self, anchors: _Optional[_Iterable[_Union[AnchorRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RetryAnchorRequest(_message.Message):
    __slots__ = ("batch_id",)
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    def __init__(self, batch_id: _Optional[str] = ...) -> None: ...

class RetryAnchorResponse(_message.Message):
    __slots__ = ("anchor",)
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    anchor: AnchorRecord
    def __init__(self, anchor: _Optional[_Union[AnchorRecord, _Mapping]] = ...) -> None: ...

class GetLedgerAnchorRequest(_message.Message):
    __slots__ = ("tree_size",)
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tree_size: int
    def __init__(self, tree_size: _Optional[int] = ...) -> None: ...

class GetLedgerAnchorResponse(_message.Message):
    __slots__ = ("origin", "tree_size", "root_hash", "commitment", "aggregate_index", "aggregate_size", "aggregate_path", "aggregate_root", "chain_id", "tx_hash", "block_number", "sender", "anchored_at")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    COMMITMENT_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_INDEX_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_SIZE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_PATH_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    ANCHORED_AT_FIELD_NUMBER: _ClassVar[int]
    origin: str
    tree_size: int
    root_hash: bytes
    commitment: bytes
    aggregate_index: int
    aggregate_size: int
    aggregate_path: _containers.RepeatedScalarFieldContainer[bytes]
    aggregate_root: bytes
    chain_id: int
    tx_hash: str
    block_number: int
    sender: str
    anchored_at: _timestamp_pb2.Timestamp
    def __init__(self, origin: _Optional[str] = ..., tree_size: _Optional[int] = ..., root_hash: _Optional[bytes] = ..., commitment: _Optional[bytes] = ..., aggregate_index: _Optional[int] = ..., aggregate_size: _Optional[int] = ..., aggregate_path: _Optional[_Iterable[bytes]] = ..., aggregate_root: _Optional[bytes] = ..., chain_id: _Optional[int] = ..., tx_hash: _Optional[str] = ..., block_number: _Optional[int] = ..., sender: _Optional[str] = ..., anchored_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
