from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]
    ROLE_AUDITOR: _ClassVar[Role]
    ROLE_OPERATOR: _ClassVar[Role]
    ROLE_SERVICE_ACCOUNT: _ClassVar[Role]

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_AUTHENTIC: _ClassVar[Verdict]
    VERDICT_SUSPICIOUS: _ClassVar[Verdict]
    VERDICT_INVALID: _ClassVar[Verdict]
    VERDICT_REVOKED: _ClassVar[Verdict]

class BatchState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_STATE_UNSPECIFIED: _ClassVar[BatchState]
    BATCH_STATE_CREATED: _ClassVar[BatchState]
    BATCH_STATE_ANCHORING: _ClassVar[BatchState]
    BATCH_STATE_ANCHORED: _ClassVar[BatchState]
    BATCH_STATE_FAILED: _ClassVar[BatchState]

class LifecycleState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIFECYCLE_STATE_UNSPECIFIED: _ClassVar[LifecycleState]
    LIFECYCLE_STATE_PENDING_RELEASE: _ClassVar[LifecycleState]
    LIFECYCLE_STATE_RELEASED: _ClassVar[LifecycleState]
    LIFECYCLE_STATE_REVOKED: _ClassVar[LifecycleState]
    LIFECYCLE_STATE_RECALLED: _ClassVar[LifecycleState]

class AnchorState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ANCHOR_STATE_UNSPECIFIED: _ClassVar[AnchorState]
    ANCHOR_STATE_PENDING: _ClassVar[AnchorState]
    ANCHOR_STATE_SUBMITTED: _ClassVar[AnchorState]
    ANCHOR_STATE_CONFIRMING: _ClassVar[AnchorState]
    ANCHOR_STATE_ANCHORED: _ClassVar[AnchorState]
    ANCHOR_STATE_FAILED: _ClassVar[AnchorState]
ROLE_UNSPECIFIED: Role
ROLE_ADMIN: Role
ROLE_AUDITOR: Role
ROLE_OPERATOR: Role
ROLE_SERVICE_ACCOUNT: Role
VERDICT_UNSPECIFIED: Verdict
VERDICT_AUTHENTIC: Verdict
VERDICT_SUSPICIOUS: Verdict
VERDICT_INVALID: Verdict
VERDICT_REVOKED: Verdict
BATCH_STATE_UNSPECIFIED: BatchState
BATCH_STATE_CREATED: BatchState
BATCH_STATE_ANCHORING: BatchState
BATCH_STATE_ANCHORED: BatchState
BATCH_STATE_FAILED: BatchState
LIFECYCLE_STATE_UNSPECIFIED: LifecycleState
LIFECYCLE_STATE_PENDING_RELEASE: LifecycleState
LIFECYCLE_STATE_RELEASED: LifecycleState
LIFECYCLE_STATE_REVOKED: LifecycleState
LIFECYCLE_STATE_RECALLED: LifecycleState
ANCHOR_STATE_UNSPECIFIED: AnchorState
ANCHOR_STATE_PENDING: AnchorState
ANCHOR_STATE_SUBMITTED: AnchorState
ANCHOR_STATE_CONFIRMING: AnchorState
ANCHOR_STATE_ANCHORED: AnchorState
ANCHOR_STATE_FAILED: AnchorState
