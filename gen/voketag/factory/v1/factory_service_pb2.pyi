import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voketag.common.v1 import anchor_pb2 as _anchor_pb2
from voketag.common.v1 import enums_pb2 as _enums_pb2
from voketag.common.v1 import formats_pb2 as _formats_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProductView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRODUCT_VIEW_UNSPECIFIED: _ClassVar[ProductView]
    PRODUCT_VIEW_BASIC: _ClassVar[ProductView]
    PRODUCT_VIEW_FULL: _ClassVar[ProductView]

class WebhookEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_EVENT_UNSPECIFIED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_BATCH_ANCHORED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_BATCH_ANCHOR_FAILED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_BATCH_RELEASED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_BATCH_REVOKED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_BATCH_RECALLED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_PRODUCT_REVOKED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_PRODUCT_RECALLED: _ClassVar[WebhookEvent]
    WEBHOOK_EVENT_SCAN_SUSPICIOUS: _ClassVar[WebhookEvent]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_PENDING: _ClassVar[DeliveryState]
    DELIVERY_STATE_RETRYING: _ClassVar[DeliveryState]
    DELIVERY_STATE_SUCCEEDED: _ClassVar[DeliveryState]
    DELIVERY_STATE_FAILED: _ClassVar[DeliveryState]
PRODUCT_VIEW_UNSPECIFIED: ProductView
PRODUCT_VIEW_BASIC: ProductView
PRODUCT_VIEW_FULL: ProductView
WEBHOOK_EVENT_UNSPECIFIED: WebhookEvent
WEBHOOK_EVENT_BATCH_ANCHORED: WebhookEvent
WEBHOOK_EVENT_BATCH_ANCHOR_FAILED: WebhookEvent
WEBHOOK_EVENT_BATCH_RELEASED: WebhookEvent
WEBHOOK_EVENT_BATCH_REVOKED: WebhookEvent
WEBHOOK_EVENT_BATCH_RECALLED: WebhookEvent
WEBHOOK_EVENT_PRODUCT_REVOKED: WebhookEvent
WEBHOOK_EVENT_PRODUCT_RECALLED: WebhookEvent
WEBHOOK_EVENT_SCAN_SUSPICIOUS: WebhookEvent
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_PENDING: DeliveryState
DELIVERY_STATE_RETRYING: DeliveryState
DELIVERY_STATE_SUCCEEDED: DeliveryState
DELIVERY_STATE_FAILED: DeliveryState

class Batch(_message.Message):
    __slots__ = ("id", "factory_id", "sku", "product_line", "quantity", "state", "lifecycle", "link_pattern", "created_at", "anchor", "metadata", "product_name", "updated_at", "released_at", "ended_at", "lifecycle_reason", "request_id", "created_by", "public_reason", "seal_at", "gtin", "lot", "expiry_date")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    LINK_PATTERN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RELEASED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_REASON_FIELD_NUMBER: _ClassVar[int]
    SEAL_AT_FIELD_NUMBER: _ClassVar[int]
    GTIN_FIELD_NUMBER: _ClassVar[int]
    LOT_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_DATE_FIELD_NUMBER: _ClassVar[int]
    id: str
    factory_id: str
    sku: str
    product_line: str
    quantity: int
    state: _enums_pb2.BatchState
    lifecycle: _enums_pb2.LifecycleState
    link_pattern: str
    created_at: _timestamp_pb2.Timestamp
    anchor: _anchor_pb2.AnchorInfo
    metadata: _containers.ScalarMap[str, str]
    product_name: str
    updated_at: _timestamp_pb2.Timestamp
    released_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    lifecycle_reason: str
    request_id: str
    created_by: str
    public_reason: str
    seal_at: _timestamp_pb2.Timestamp
    gtin: str
    lot: str
    expiry_date: str
    def __init__(self, id: _Optional[str] = ..., factory_id: _Optional[str] = ..., sku: _Optional[str] = ..., product_line: _Optional[str] = ..., quantity: _Optional[int] = ..., state: _Optional[_Union[_enums_pb2.BatchState, str]] = ..., lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., link_pattern: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., anchor: _Optional[_Union[_anchor_pb2.AnchorInfo, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., product_name: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., released_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifecycle_reason: _Optional[str] = ..., request_id: _Optional[str] = ..., created_by: _Optional[str] = ..., public_reason: _Optional[str] = ..., seal_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., gtin: _Optional[str] = ..., lot: _Optional[str] = ..., expiry_date: _Optional[str] = ...) -> None: ...

class Product(_message.Message):
    __slots__ = ("id", "batch_id", "serial", "token", "link", "lifecycle", "external_id", "factory_id", "sku", "created_at", "updated_at", "lifecycle_reason", "metadata", "leaf_index", "public_reason", "token_fingerprint", "gs1_element_string")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_REASON_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_REASON_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    GS1_ELEMENT_STRING_FIELD_NUMBER: _ClassVar[int]
    id: str
    batch_id: str
    serial: int
    token: str
    link: str
    lifecycle: _enums_pb2.LifecycleState
    external_id: str
    factory_id: str
    sku: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    lifecycle_reason: str
    metadata: _containers.ScalarMap[str, str]
    leaf_index: int
    public_reason: str
    token_fingerprint: str
    gs1_element_string: str
    def __init__(self, id: _Optional[str] = ..., batch_id: _Optional[str] = ..., serial: _Optional[int] = ..., token: _Optional[str] = ..., link: _Optional[str] = ..., lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., external_id: _Optional[str] = ..., factory_id: _Optional[str] = ..., sku: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifecycle_reason: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., leaf_index: _Optional[int] = ..., public_reason: _Optional[str] = ..., token_fingerprint: _Optional[str] = ..., gs1_element_string: _Optional[str] = ...) -> None: ...

class CreateBatchRequest(_message.Message):
    __slots__ = ("request_id", "product_line", "sku", "quantity", "metadata", "initial_lifecycle", "product_name", "factory_id", "open_for", "gtin", "lot", "expiry_date")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    INITIAL_LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_FOR_FIELD_NUMBER: _ClassVar[int]
    GTIN_FIELD_NUMBER: _ClassVar[int]
    LOT_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    product_line: str
    sku: str
    quantity: int
    metadata: _containers.ScalarMap[str, str]
    initial_lifecycle: _enums_pb2.LifecycleState
    product_name: str
    factory_id: str
    open_for: _duration_pb2.Duration
    gtin: str
    lot: str
    expiry_date: str
    def __init__(self, request_id: _Optional[str] = ..., product_line: _Optional[str] = ..., sku: _Optional[str] = ..., quantity: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ..., initial_lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., product_name: _Optional[str] = ..., factory_id: _Optional[str] = ..., open_for: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., gtin: _Optional[str] = ..., lot: _Optional[str] = ..., expiry_date: _Optional[str] = ...) -> None: ...

class CreateBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: Batch
    def __init__(self, batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class GetBatchRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: Batch
    def __init__(self, batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class ListBatchesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "created_after", "created_before", "lifecycle", "factory_id", "sku")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: _enums_pb2.BatchState
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    lifecycle: _enums_pb2.LifecycleState
    factory_id: str
    sku: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[_enums_pb2.BatchState, str]] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., factory_id: _Optional[str] = ..., sku: _Optional[str] = ...) -> None: ...

class ListBatchesResponse(_message.Message):
    __slots__ = ("batches", "next_page_token")
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    batches: _containers.RepeatedCompositeFieldContainer[Batch]
    next_page_token: str
    def __init__(self, batches: _Optional[_Iterable[_Union[Batch, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateProductRequest(_message.Message):
    __slots__ = ("request_id", "batch_id", "external_id", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    batch_id: str
    external_id: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., external_id: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateProductResponse(_message.Message):
    __slots__ = ("product",)
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    product: Product
    def __init__(self, product: _Optional[_Union[Product, _Mapping]] = ...) -> None: ...

class GetProductRequest(_message.Message):
    __slots__ = ("id", "view")
    ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    id: str
    view: ProductView
    def __init__(self, id: _Optional[str] = ..., view: _Optional[_Union[ProductView, str]] = ...) -> None: ...

class GetProductResponse(_message.Message):
    __slots__ = ("product",)
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    product: Product
    def __init__(self, product: _Optional[_Union[Product, _Mapping]] = ...) -> None: ...

class ListProductsRequest(_message.Message):
    __slots__ = ("batch_id", "page_size", "page_token", "lifecycle", "view")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    page_size: int
    page_token: str
    lifecycle: _enums_pb2.LifecycleState
    view: ProductView
    def __init__(self, batch_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., view: _Optional[_Union[ProductView, str]] = ...) -> None: ...

class ListProductsResponse(_message.Message):
    __slots__ = ("products", "next_page_token")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[Product]
    next_page_token: str
    def __init__(self, products: _Optional[_Iterable[_Union[Product, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SearchProductsRequest(_message.Message):
    __slots__ = ("serial", "external_id", "factory_id", "page_size", "page_token")
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    serial: int
    external_id: str
    factory_id: str
    page_size: int
    page_token: str
    def __init__(self, serial: _Optional[int] = ..., external_id: _Optional[str] = ..., factory_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchProductsResponse(_message.Message):
    __slots__ = ("products", "next_page_token")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[Product]
    next_page_token: str
    def __init__(self, products: _Optional[_Iterable[_Union[Product, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReleaseBatchRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ReleaseBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: Batch
    def __init__(self, batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class SealBatchRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class SealBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: Batch
    def __init__(self, batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class RevokeBatchRequest(_message.Message):
    __slots__ = ("id", "reason", "public_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    public_reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., public_reason: _Optional[str] = ...) -> None: ...

class RevokeBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: Batch
    def __init__(self, batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class RecallBatchRequest(_message.Message):
    __slots__ = ("id", "reason", "public_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    public_reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., public_reason: _Optional[str] = ...) -> None: ...

class RecallBatchResponse(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: Batch
    def __init__(self, batch: _Optional[_Union[Batch, _Mapping]] = ...) -> None: ...

class RevokeProductRequest(_message.Message):
    __slots__ = ("id", "reason", "public_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    public_reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., public_reason: _Optional[str] = ...) -> None: ...

class RevokeProductResponse(_message.Message):
    __slots__ = ("product",)
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    product: Product
    def __init__(self, product: _Optional[_Union[Product, _Mapping]] = ...) -> None: ...

class RecallProductRequest(_message.Message):
    __slots__ = ("id", "reason", "public_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    public_reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ..., public_reason: _Optional[str] = ...) -> None: ...

class RecallProductResponse(_message.Message):
    __slots__ = ("product",)
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    product: Product
    def __init__(self, product: _Optional[_Union[Product, _Mapping]] = ...) -> None: ...

class ImportCsvRequest(_message.Message):
    __slots__ = ("batch_id", "request_id", "chunk", "sku", "product_line", "product_name", "factory_id")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    request_id: str
    chunk: _httpbody_pb2.HttpBody
    sku: str
    product_line: str
    product_name: str
    factory_id: str
    def __init__(self, batch_id: _Optional[str] = ..., request_id: _Optional[str] = ..., chunk: _Optional[_Union[_httpbody_pb2.HttpBody, _Mapping]] = ..., sku: _Optional[str] = ..., product_line: _Optional[str] = ..., product_name: _Optional[str] = ..., factory_id: _Optional[str] = ...) -> None: ...

class ImportCsvResponse(_message.Message):
    __slots__ = ("batch_id", "rows_imported", "batch_created", "bytes_received")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ROWS_IMPORTED_FIELD_NUMBER: _ClassVar[int]
    BATCH_CREATED_FIELD_NUMBER: _ClassVar[int]
    BYTES_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    rows_imported: int
    batch_created: bool
    bytes_received: int
    def __init__(self, batch_id: _Optional[str] = ..., rows_imported: _Optional[int] = ..., batch_created: _Optional[bool] = ..., bytes_received: _Optional[int] = ...) -> None: ...

class ExportCsvRequest(_message.Message):
    __slots__ = ("batch_id", "lifecycle", "view", "format")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    lifecycle: _enums_pb2.LifecycleState
    view: ProductView
    format: _formats_pb2.ExportFormat
    def __init__(self, batch_id: _Optional[str] = ..., lifecycle: _Optional[_Union[_enums_pb2.LifecycleState, str]] = ..., view: _Optional[_Union[ProductView, str]] = ..., format: _Optional[_Union[_formats_pb2.ExportFormat, str]] = ...) -> None: ...

class ExportEpcisRequest(_message.Message):
    __slots__ = ("batch_id", "start_time", "end_time")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, batch_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("id", "factory_id", "url", "events", "description", "active", "secret_hint", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    SECRET_HINT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    factory_id: str
    url: str
    events: _containers.RepeatedScalarFieldContainer[WebhookEvent]
    description: str
    active: bool
    secret_hint: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., factory_id: _Optional[str] = ..., url: _Optional[str] = ..., events: _Optional[_Iterable[_Union[WebhookEvent, str]]] = ..., description: _Optional[str] = ..., active: _Optional[bool] = ..., secret_hint: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateWebhookRequest(_message.Message):
    __slots__ = ("request_id", "url", "events", "description", "factory_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    url: str
    events: _containers.RepeatedScalarFieldContainer[WebhookEvent]
    description: str
    factory_id: str
    def __init__(self, request_id: _Optional[str] = ..., url: _Optional[str] = ..., events: _Optional[_Iterable[_Union[WebhookEvent, str]]] = ..., description: _Optional[str] = ..., factory_id: _Optional[str] = ...) -> None: ...

class CreateWebhookResponse(_message.Message):
    __slots__ = ("webhook", "secret")
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    webhook: Webhook
    secret: str
    def __init__(self, webhook: _Optional[_Union[Webhook, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListWebhooksRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "factory_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    factory_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., factory_id: _Optional[str] = ...) -> None: ...

class ListWebhooksResponse(_message.Message):
    __slots__ = ("webhooks", "next_page_token")
    WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    webhooks: _containers.RepeatedCompositeFieldContainer[Webhook]
    next_page_token: str
    def __init__(self, webhooks: _Optional[_Iterable[_Union[Webhook, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteWebhookRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteWebhookResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("id", "webhook_id", "event", "event_id", "state", "attempts", "last_status_code", "last_error", "created_at", "last_attempt_at", "next_attempt_at", "delivered_at", "object_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    webhook_id: str
    event: WebhookEvent
    event_id: str
    state: DeliveryState
    attempts: int
    last_status_code: int
    last_error: str
    created_at: _timestamp_pb2.Timestamp
    last_attempt_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    object_id: str
    def __init__(self, id: _Optional[str] = ..., webhook_id: _Optional[str] = ..., event: _Optional[_Union[WebhookEvent, str]] = ..., event_id: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., attempts: _Optional[int] = ..., last_status_code: _Optional[int] = ..., last_error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., object_id: _Optional[str] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("webhook_id", "page_size", "page_token", "state")
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    webhook_id: str
    page_size: int
    page_token: str
    state: DeliveryState
    def __init__(self, webhook_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[WebhookDelivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[WebhookDelivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
