import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voketag.common.v1 import enums_pb2 as _enums_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnchorInfo(_message.Message):
    __slots__ = ("state", "chain_id", "tx_hash", "block_number", "confirmations", "proof_url", "anchored_at", "batch_root", "required_confirmations", "sender")
    STATE_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    PROOF_URL_FIELD_NUMBER: _ClassVar[int]
    ANCHORED_AT_FIELD_NUMBER: _ClassVar[int]
    BATCH_ROOT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    state: _enums_pb2.AnchorState
    chain_id: int
    tx_hash: str
    block_number: int
    confirmations: int
    proof_url: str
    anchored_at: _timestamp_pb2.Timestamp
    batch_root: bytes
    required_confirmations: int
    sender: str
    def __init__(self, state: _Optional[_Union[_enums_pb2.AnchorState, str]] = ..., chain_id: _Optional[int] = ..., tx_hash: _Optional[str] = ..., block_number: _Optional[int] = ..., confirmations: _Optional[int] = ..., proof_url: _Optional[str] = ..., anchored_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., batch_root: _Optional[bytes] = ..., required_confirmations: _Optional[int] = ..., sender: _Optional[str] = ...) -> None: ...

class MerkleProof(_message.Message):
    __slots__ = ("leaf_index", "tree_size", "path", "root")
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    leaf_index: int
    tree_size: int
    path: _containers.RepeatedScalarFieldContainer[bytes]
    root: bytes
    def __init__(self, leaf_index: _Optional[int] = ..., tree_size: _Optional[int] = ..., path: _Optional[_Iterable[bytes]] = ..., root: _Optional[bytes] = ...) -> None: ...

class LeafFields(_message.Message):
    __slots__ = ("batch_id", "product_id", "serial", "sku", "token_sha256")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    TOKEN_SHA256_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    product_id: str
    serial: int
    sku: str
    token_sha256: bytes
    def __init__(self, batch_id: _Optional[str] = ..., product_id: _Optional[str] = ..., serial: _Optional[int] = ..., sku: _Optional[str] = ..., token_sha256: _Optional[bytes] = ...) -> None: ...

class ProofBundle(_message.Message):
    __slots__ = ("version", "leaf_data", "leaf", "leaf_index", "batch_size", "batch_path", "batch_root", "aggregate_index", "aggregate_size", "aggregate_path", "aggregate_root", "chain_id", "tx_hash", "block_number", "sender", "contract_address", "anchored_at")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LEAF_DATA_FIELD_NUMBER: _ClassVar[int]
    LEAF_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    BATCH_PATH_FIELD_NUMBER: _ClassVar[int]
    BATCH_ROOT_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_INDEX_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_SIZE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_PATH_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ANCHORED_AT_FIELD_NUMBER: _ClassVar[int]
    version: int
    leaf_data: bytes
    leaf: LeafFields
    leaf_index: int
    batch_size: int
    batch_path: _containers.RepeatedScalarFieldContainer[bytes]
    batch_root: bytes
    aggregate_index: int
    aggregate_size: int
    aggregate_path: _containers.RepeatedScalarFieldContainer[bytes]
    aggregate_root: bytes
    chain_id: int
    tx_hash: str
    block_number: int
    sender: str
    contract_address: str
    anchored_at: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[int] = ..., leaf_data: _Optional[bytes] = ..., leaf: _Optional[_Union[LeafFields, _Mapping]] = ..., leaf_index: _Optional[int] = ..., batch_size: _Optional[int] = ..., batch_path: _Optional[_Iterable[bytes]] = ..., batch_root: _Optional[bytes] = ..., aggregate_index: _Optional[int] = ..., aggregate_size: _Optional[int] = ..., aggregate_path: _Optional[_Iterable[bytes]] = ..., aggregate_root: _Optional[bytes] = ..., chain_id: _Optional[int] = ..., tx_hash: _Optional[str] = ..., block_number: _Optional[int] = ..., sender: _Optional[str] = ..., contract_address: _Optional[str] = ..., anchored_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
