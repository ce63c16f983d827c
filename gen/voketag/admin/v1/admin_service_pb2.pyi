import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from voketag.common.v1 import enums_pb2 as _enums_pb2
from voketag.common.v1 import formats_pb2 as _formats_pb2
from voketag.common.v1 import risk_pb2 as _risk_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FraudReportStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FRAUD_REPORT_STATUS_UNSPECIFIED: _ClassVar[FraudReportStatus]
    FRAUD_REPORT_STATUS_OPEN: _ClassVar[FraudReportStatus]
    FRAUD_REPORT_STATUS_INVESTIGATING: _ClassVar[FraudReportStatus]
    FRAUD_REPORT_STATUS_CONFIRMED: _ClassVar[FraudReportStatus]
    FRAUD_REPORT_STATUS_DISMISSED: _ClassVar[FraudReportStatus]
FRAUD_REPORT_STATUS_UNSPECIFIED: FraudReportStatus
FRAUD_REPORT_STATUS_OPEN: FraudReportStatus
FRAUD_REPORT_STATUS_INVESTIGATING: FraudReportStatus
FRAUD_REPORT_STATUS_CONFIRMED: FraudReportStatus
FRAUD_REPORT_STATUS_DISMISSED: FraudReportStatus

class User(_message.Message):
    __slots__ = ("id", "email", "display_name", "role", "factory_id", "active", "created_at", "updated_at", "last_login_at", "deactivated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_AT_FIELD_NUMBER: _ClassVar[int]
    DEACTIVATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    display_name: str
    role: _enums_pb2.Role
    factory_id: str
    active: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    last_login_at: _timestamp_pb2.Timestamp
    deactivated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., display_name: _Optional[str] = ..., role: _Optional[_Union[_enums_pb2.Role, str]] = ..., factory_id: _Optional[str] = ..., active: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_login_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deactivated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("email", "password")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("access_token", "refresh_token", "expires_in", "token_type", "user", "refresh_expires_in")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    REFRESH_EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str
    user: User
    refresh_expires_in: int
    def __init__(self, access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_in: _Optional[int] = ..., token_type: _Optional[str] = ..., user: _Optional[_Union[User, _Mapping]] = ..., refresh_expires_in: _Optional[int] = ...) -> None: ...

class RefreshTokenRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class RefreshTokenResponse(_message.Message):
    __slots__ = ("access_token", "refresh_token", "expires_in", "token_type", "user", "refresh_expires_in")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    REFRESH_EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str
    user: User
    refresh_expires_in: int
    def __init__(self, access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_in: _Optional[int] = ..., token_type: _Optional[str] = ..., user: _Optional[_Union[User, _Mapping]] = ..., refresh_expires_in: _Optional[int] = ...) -> None: ...

class LogoutRequest(_message.Message):
    __slots__ = ("refresh_token", "all_sessions")
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ALL_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    all_sessions: bool
    def __init__(self, refresh_token: _Optional[str] = ..., all_sessions: _Optional[bool] = ...) -> None: ...

class LogoutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class IssueServiceAccountTokenRequest(_message.Message):
    __slots__ = ("client_id", "client_secret")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    client_secret: str
    def __init__(self, client_id: _Optional[str] = ..., client_secret: _Optional[str] = ...) -> None: ...

class IssueServiceAccountTokenResponse(_message.Message):
    __slots__ = ("access_token", "expires_in", "token_type")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    expires_in: int
    token_type: str
    def __init__(self, access_token: _Optional[str] = ..., expires_in: _Optional[int] = ..., token_type: _Optional[str] = ...) -> None: ...

class CompletePasswordResetRequest(_message.Message):
    __slots__ = ("reset_token", "new_password")
    RESET_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    reset_token: str
    new_password: str
    def __init__(self, reset_token: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class CompletePasswordResetResponse(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "role", "factory_id", "active", "email_contains")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    role: _enums_pb2.Role
    factory_id: str
    active: bool
    email_contains: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., role: _Optional[_Union[_enums_pb2.Role, str]] = ..., factory_id: _Optional[str] = ..., active: _Optional[bool] = ..., email_contains: _Optional[str] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users", "next_page_token")
    USERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    next_page_token: str
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("request_id", "email", "display_name", "role", "factory_id", "password")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    email: str
    display_name: str
    role: _enums_pb2.Role
    factory_id: str
    password: str
    def __init__(self, request_id: _Optional[str] = ..., email: _Optional[str] = ..., display_name: _Optional[str] = ..., role: _Optional[_Union[_enums_pb2.Role, str]] = ..., factory_id: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user", "password_reset_token", "password_reset_expires_at")
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_RESET_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_RESET_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    user: User
    password_reset_token: str
    password_reset_expires_at: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., password_reset_token: _Optional[str] = ..., password_reset_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateUserRequest(_message.Message):
    __slots__ = ("user", "update_mask")
    USER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    user: User
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ResetPasswordRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ResetPasswordResponse(_message.Message):
    __slots__ = ("reset_token", "expires_at")
    RESET_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    reset_token: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, reset_token: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Factory(_message.Message):
    __slots__ = ("id", "name", "code", "country_code", "active", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    code: str
    country_code: str
    active: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., code: _Optional[str] = ..., country_code: _Optional[str] = ..., active: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateFactoryRequest(_message.Message):
    __slots__ = ("request_id", "name", "code", "country_code")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    code: str
    country_code: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., code: _Optional[str] = ..., country_code: _Optional[str] = ...) -> None: ...

class CreateFactoryResponse(_message.Message):
    __slots__ = ("factory",)
    FACTORY_FIELD_NUMBER: _ClassVar[int]
    factory: Factory
    def __init__(self, factory: _Optional[_Union[Factory, _Mapping]] = ...) -> None: ...

class ListFactoriesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFactoriesResponse(_message.Message):
    __slots__ = ("factories", "next_page_token")
    FACTORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    factories: _containers.RepeatedCompositeFieldContainer[Factory]
    next_page_token: str
    def __init__(self, factories: _Optional[_Iterable[_Union[Factory, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetFactoryRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetFactoryResponse(_message.Message):
    __slots__ = ("factory",)
    FACTORY_FIELD_NUMBER: _ClassVar[int]
    factory: Factory
    def __init__(self, factory: _Optional[_Union[Factory, _Mapping]] = ...) -> None: ...

class ServiceAccount(_message.Message):
    __slots__ = ("id", "name", "factory_id", "client_id", "description", "active", "secret_hint", "created_at", "revoked_at", "last_used_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    SECRET_HINT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    factory_id: str
    client_id: str
    description: str
    active: bool
    secret_hint: str
    created_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    last_used_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., factory_id: _Optional[str] = ..., client_id: _Optional[str] = ..., description: _Optional[str] = ..., active: _Optional[bool] = ..., secret_hint: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateServiceAccountRequest(_message.Message):
    __slots__ = ("request_id", "name", "factory_id", "description")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    factory_id: str
    description: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., factory_id: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateServiceAccountResponse(_message.Message):
    __slots__ = ("service_account", "client_secret")
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    service_account: ServiceAccount
    client_secret: str
    def __init__(self, service_account: _Optional[_Union[ServiceAccount, _Mapping]] = ..., client_secret: _Optional[str] = ...) -> None: ...

class ListServiceAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "factory_id", "include_revoked")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    factory_id: str
    include_revoked: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., factory_id: _Optional[str] = ..., include_revoked: _Optional[bool] = ...) -> None: ...

class ListServiceAccountsResponse(_message.Message):
    __slots__ = ("service_accounts", "next_page_token")
    SERVICE_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    service_accounts: _containers.RepeatedCompositeFieldContainer[ServiceAccount]
    next_page_token: str
    def __init__(self, service_accounts: _Optional[_Iterable[_Union[ServiceAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeServiceAccountRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class RevokeServiceAccountResponse(_message.Message):
    __slots__ = ("service_account",)
    SERVICE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    service_account: ServiceAccount
    def __init__(self, service_account: _Optional[_Union[ServiceAccount, _Mapping]] = ...) -> None: ...

class VerdictCounts(_message.Message):
    __slots__ = ("authentic", "suspicious", "invalid", "revoked")
    AUTHENTIC_FIELD_NUMBER: _ClassVar[int]
    SUSPICIOUS_FIELD_NUMBER: _ClassVar[int]
    INVALID_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    authentic: int
    suspicious: int
    invalid: int
    revoked: int
    def __init__(self, authentic: _Optional[int] = ..., suspicious: _Optional[int] = ..., invalid: _Optional[int] = ..., revoked: _Optional[int] = ...) -> None: ...

class DashboardCounts(_message.Message):
    __slots__ = ("products", "batches", "scans", "verdicts", "average_risk", "anchoring_failures", "fraud_reports", "counterfeit_scans")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    BATCHES_FIELD_NUMBER: _ClassVar[int]
    SCANS_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RISK_FIELD_NUMBER: _ClassVar[int]
    ANCHORING_FAILURES_FIELD_NUMBER: _ClassVar[int]
    FRAUD_REPORTS_FIELD_NUMBER: _ClassVar[int]
    COUNTERFEIT_SCANS_FIELD_NUMBER: _ClassVar[int]
    products: int
    batches: int
    scans: int
    verdicts: VerdictCounts
    average_risk: float
    anchoring_failures: int
    fraud_reports: int
    counterfeit_scans: int
    def __init__(self, products: _Optional[int] = ..., batches: _Optional[int] = ..., scans: _Optional[int] = ..., verdicts: _Optional[_Union[VerdictCounts, _Mapping]] = ..., average_risk: _Optional[float] = ..., anchoring_failures: _Optional[int] = ..., fraud_reports: _Optional[int] = ..., counterfeit_scans: _Optional[int] = ...) -> None: ...

class GetDashboardRequest(_message.Message):
    __slots__ = ("factory_id",)
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    factory_id: str
    def __init__(self, factory_id: _Optional[str] = ...) -> None: ...

class GetDashboardResponse(_message.Message):
    __slots__ = ("totals", "last_24h", "last_7d", "last_30d", "anchoring_backlog", "anchoring_failed", "open_fraud_reports", "generated_at", "factory_id")
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    LAST_24H_FIELD_NUMBER: _ClassVar[int]
    LAST_7D_FIELD_NUMBER: _ClassVar[int]
    LAST_30D_FIELD_NUMBER: _ClassVar[int]
    ANCHORING_BACKLOG_FIELD_NUMBER: _ClassVar[int]
    ANCHORING_FAILED_FIELD_NUMBER: _ClassVar[int]
    OPEN_FRAUD_REPORTS_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    totals: DashboardCounts
    last_24h: DashboardCounts
    last_7d: DashboardCounts
    last_30d: DashboardCounts
    anchoring_backlog: int
    anchoring_failed: int
    open_fraud_reports: int
    generated_at: _timestamp_pb2.Timestamp
    factory_id: str
    def __init__(self, totals: _Optional[_Union[DashboardCounts, _Mapping]] = ..., last_24h: _Optional[_Union[DashboardCounts, _Mapping]] = ..., last_7d: _Optional[_Union[DashboardCounts, _Mapping]] = ..., last_30d: _Optional[_Union[DashboardCounts, _Mapping]] = ..., anchoring_backlog: _Optional[int] = ..., anchoring_failed: _Optional[int] = ..., open_fraud_reports: _Optional[int] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., factory_id: _Optional[str] = ...) -> None: ...

class GetAnalyticsRequest(_message.Message):
    __slots__ = ("start_date", "end_date", "factory_id", "top_n")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    TOP_N_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    factory_id: str
    top_n: int
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., factory_id: _Optional[str] = ..., top_n: _Optional[int] = ...) -> None: ...

class DailyStats(_message.Message):
    __slots__ = ("date", "scans", "verdicts", "average_risk", "products_created", "fraud_reports", "counterfeit_scans")
    DATE_FIELD_NUMBER: _ClassVar[int]
    SCANS_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RISK_FIELD_NUMBER: _ClassVar[int]
    PRODUCTS_CREATED_FIELD_NUMBER: _ClassVar[int]
    FRAUD_REPORTS_FIELD_NUMBER: _ClassVar[int]
    COUNTERFEIT_SCANS_FIELD_NUMBER: _ClassVar[int]
    date: str
    scans: int
    verdicts: VerdictCounts
    average_risk: float
    products_created: int
    fraud_reports: int
    counterfeit_scans: int
    def __init__(self, date: _Optional[str] = ..., scans: _Optional[int] = ..., verdicts: _Optional[_Union[VerdictCounts, _Mapping]] = ..., average_risk: _Optional[float] = ..., products_created: _Optional[int] = ..., fraud_reports: _Optional[int] = ..., counterfeit_scans: _Optional[int] = ...) -> None: ...

class CountryStats(_message.Message):
    __slots__ = ("country_code", "scans", "verdicts", "average_risk", "counterfeit_scans")
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    SCANS_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RISK_FIELD_NUMBER: _ClassVar[int]
    COUNTERFEIT_SCANS_FIELD_NUMBER: _ClassVar[int]
    country_code: str
    scans: int
    verdicts: VerdictCounts
    average_risk: float
    counterfeit_scans: int
    def __init__(self, country_code: _Optional[str] = ..., scans: _Optional[int] = ..., verdicts: _Optional[_Union[VerdictCounts, _Mapping]] = ..., average_risk: _Optional[float] = ..., counterfeit_scans: _Optional[int] = ...) -> None: ...

class CounterfeitStats(_message.Message):
    __slots__ = ("key_id", "reason", "scans")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SCANS_FIELD_NUMBER: _ClassVar[int]
    key_id: int
    reason: str
    scans: int
    def __init__(self, key_id: _Optional[int] = ..., reason: _Optional[str] = ..., scans: _Optional[int] = ...) -> None: ...

class RiskBucket(_message.Message):
    __slots__ = ("min_score", "max_score", "count")
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    MAX_SCORE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    min_score: int
    max_score: int
    count: int
    def __init__(self, min_score: _Optional[int] = ..., max_score: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class RiskyProduct(_message.Message):
    __slots__ = ("product_id", "batch_id", "serial", "sku", "scans", "max_risk", "average_risk", "last_scanned_at")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    SCANS_FIELD_NUMBER: _ClassVar[int]
    MAX_RISK_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RISK_FIELD_NUMBER: _ClassVar[int]
    LAST_SCANNED_AT_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    batch_id: str
    serial: int
    sku: str
    scans: int
    max_risk: int
    average_risk: float
    last_scanned_at: _timestamp_pb2.Timestamp
    def __init__(self, product_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., serial: _Optional[int] = ..., sku: _Optional[str] = ..., scans: _Optional[int] = ..., max_risk: _Optional[int] = ..., average_risk: _Optional[float] = ..., last_scanned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RiskyBatch(_message.Message):
    __slots__ = ("batch_id", "factory_id", "sku", "product_line", "scans", "suspicious_scans", "average_risk")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    SCANS_FIELD_NUMBER: _ClassVar[int]
    SUSPICIOUS_SCANS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_RISK_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    factory_id: str
    sku: str
    product_line: str
    scans: int
    suspicious_scans: int
    average_risk: float
    def __init__(self, batch_id: _Optional[str] = ..., factory_id: _Optional[str] = ..., sku: _Optional[str] = ..., product_line: _Optional[str] = ..., scans: _Optional[int] = ..., suspicious_scans: _Optional[int] = ..., average_risk: _Optional[float] = ...) -> None: ...

class GetAnalyticsResponse(_message.Message):
    __slots__ = ("start_date", "end_date", "daily", "by_country", "verdict_distribution", "risk_histogram", "top_risky_products", "top_risky_batches", "counterfeits")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    DAILY_FIELD_NUMBER: _ClassVar[int]
    BY_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    VERDICT_DISTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    RISK_HISTOGRAM_FIELD_NUMBER: _ClassVar[int]
    TOP_RISKY_PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    TOP_RISKY_BATCHES_FIELD_NUMBER: _ClassVar[int]
    COUNTERFEITS_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    daily: _containers.RepeatedCompositeFieldContainer[DailyStats]
    by_country: _containers.RepeatedCompositeFieldContainer[CountryStats]
    verdict_distribution: VerdictCounts
    risk_histogram: _containers.RepeatedCompositeFieldContainer[RiskBucket]
    top_risky_products: _containers.RepeatedCompositeFieldContainer[RiskyProduct]
    top_risky_batches: _containers.RepeatedCompositeFieldContainer[RiskyBatch]
    counterfeits: _containers.RepeatedCompositeFieldContainer[CounterfeitStats]
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., daily: _Optional[_Iterable[_Union[DailyStats, _Mapping]]] = ..., by_country: _Optional[_Iterable[_Union[CountryStats, _Mapping]]] = ..., verdict_distribution: _Optional[_Union[VerdictCounts, _Mapping]] = ..., risk_histogram: _Optional[_Iterable[_Union[RiskBucket, _Mapping]]] = ..., top_risky_products: _Optional[_Iterable[_Union[RiskyProduct, _Mapping]]] = ..., top_risky_batches: _Optional[_Iterable[_Union[RiskyBatch, _Mapping]]] = ..., counterfeits: _Optional[_Iterable[_Union[CounterfeitStats, _Mapping]]] = ...) -> None: ...

class ScanRecord(_message.Message):
    __slots__ = ("id", "scanned_at", "product_id", "batch_id", "factory_id", "serial", "verdict", "risk_score", "factors", "country_code", "device_hash", "ledger_sequence", "latitude", "longitude")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCANNED_AT_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    RISK_SCORE_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_HASH_FIELD_NUMBER: _ClassVar[int]
    LEDGER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    id: str
    scanned_at: _timestamp_pb2.Timestamp
    product_id: str
    batch_id: str
    factory_id: str
    serial: int
    verdict: _enums_pb2.Verdict
    risk_score: int
    factors: _containers.RepeatedCompositeFieldContainer[_risk_pb2.RiskFactor]
    country_code: str
    device_hash: str
    ledger_sequence: int
    latitude: float
    longitude: float
    def __init__(self, id: _Optional[str] = ..., scanned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., product_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., factory_id: _Optional[str] = ..., serial: _Optional[int] = ..., verdict: _Optional[_Union[_enums_pb2.Verdict, str]] = ..., risk_score: _Optional[int] = ..., factors: _Optional[_Iterable[_Union[_risk_pb2.RiskFactor, _Mapping]]] = ..., country_code: _Optional[str] = ..., device_hash: _Optional[str] = ..., ledger_sequence: _Optional[int] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class ListSuspiciousScansRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "min_risk", "verdict", "factory_id", "batch_id", "start_time", "end_time", "product_id", "country_code")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MIN_RISK_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    min_risk: int
    verdict: _enums_pb2.Verdict
    factory_id: str
    batch_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    product_id: str
    country_code: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., min_risk: _Optional[int] = ..., verdict: _Optional[_Union[_enums_pb2.Verdict, str]] = ..., factory_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., product_id: _Optional[str] = ..., country_code: _Optional[str] = ...) -> None: ...

class ListSuspiciousScansResponse(_message.Message):
    __slots__ = ("scans", "next_page_token")
    SCANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scans: _containers.RepeatedCompositeFieldContainer[ScanRecord]
    next_page_token: str
    def __init__(self, scans: _Optional[_Iterable[_Union[ScanRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class FraudReport(_message.Message):
    __slots__ = ("id", "token", "product_id", "batch_id", "factory_id", "contact", "description", "status", "note", "scan_id", "country_code", "created_at", "updated_at", "updated_by", "token_fingerprint")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    SCAN_ID_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    token: str
    product_id: str
    batch_id: str
    factory_id: str
    contact: str
    description: str
    status: FraudReportStatus
    note: str
    scan_id: str
    country_code: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    token_fingerprint: str
    def __init__(self, id: _Optional[str] = ..., token: _Optional[str] = ..., product_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., factory_id: _Optional[str] = ..., contact: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[_Union[FraudReportStatus, str]] = ..., note: _Optional[str] = ..., scan_id: _Optional[str] = ..., country_code: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ..., token_fingerprint: _Optional[str] = ...) -> None: ...

class ListFraudReportsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "status", "factory_id", "product_id", "batch_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: FraudReportStatus
    factory_id: str
    product_id: str
    batch_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[FraudReportStatus, str]] = ..., factory_id: _Optional[str] = ..., product_id: _Optional[str] = ..., batch_id: _Optional[str] = ...) -> None: ...

class ListFraudReportsResponse(_message.Message):
    __slots__ = ("reports", "next_page_token")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[FraudReport]
    next_page_token: str
    def __init__(self, reports: _Optional[_Iterable[_Union[FraudReport, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetFraudReportRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetFraudReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: FraudReport
    def __init__(self, report: _Optional[_Union[FraudReport, _Mapping]] = ...) -> None: ...

class UpdateFraudReportRequest(_message.Message):
    __slots__ = ("report", "update_mask")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    report: FraudReport
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, report: _Optional[_Union[FraudReport, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateFraudReportResponse(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: FraudReport
    def __init__(self, report: _Optional[_Union[FraudReport, _Mapping]] = ...) -> None: ...

class AuditLogEntry(_message.Message):
    __slots__ = ("sequence", "actor_id", "actor_role", "action", "object_type", "object_id", "request_id", "peer", "service", "factory_id", "result_code", "created_at", "hash", "prev_hash", "details")
    class DetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ROLE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_CODE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    actor_id: str
    actor_role: _enums_pb2.Role
    action: str
    object_type: str
    object_id: str
    request_id: str
    peer: str
    service: str
    factory_id: str
    result_code: int
    created_at: _timestamp_pb2.Timestamp
    hash: bytes
    prev_hash: bytes
    details: _containers.ScalarMap[str, str]
    def __init__(self, sequence: _Optional[int] = ..., actor_id: _Optional[str] = ..., actor_role: _Optional[_Union[_enums_pb2.Role, str]] = ..., action: _Optional[str] = ..., object_type: _Optional[str] = ..., object_id: _Optional[str] = ..., request_id: _Optional[str] = ..., peer: _Optional[str] = ..., service: _Optional[str] = ..., factory_id: _Optional[str] = ..., result_code: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hash: _Optional[bytes] = ..., prev_hash: _Optional[bytes] = ..., details: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListAuditLogsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "actor_id", "action", "object_type", "object_id", "service", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    service: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., actor_id: _Optional[str] = ..., action: _Optional[str] = ..., object_type: _Optional[str] = ..., object_id: _Optional[str] = ..., service: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditLogsResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditLogEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditLogEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyAuditLogRequest(_message.Message):
    __slots__ = ("from_sequence", "to_sequence")
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    from_sequence: int
    to_sequence: int
    def __init__(self, from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class VerifyAuditLogResponse(_message.Message):
    __slots__ = ("ok", "first_bad_sequence", "problem", "entries_checked", "latest_sequence")
    OK_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    LATEST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    first_bad_sequence: int
    problem: str
    entries_checked: int
    latest_sequence: int
    def __init__(self, ok: _Optional[bool] = ..., first_bad_sequence: _Optional[int] = ..., problem: _Optional[str] = ..., entries_checked: _Optional[int] = ..., latest_sequence: _Optional[int] = ...) -> None: ...

class ExportUsersRequest(_message.Message):
    __slots__ = ("role", "factory_id", "active", "format")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    role: _enums_pb2.Role
    factory_id: str
    active: bool
    format: _formats_pb2.ExportFormat
    def __init__(self, role: _Optional[_Union[_enums_pb2.Role, str]] = ..., factory_id: _Optional[str] = ..., active: _Optional[bool] = ..., format: _Optional[_Union[_formats_pb2.ExportFormat, str]] = ...) -> None: ...

class ExportScansRequest(_message.Message):
    __slots__ = ("factory_id", "batch_id", "verdict", "min_risk", "start_time", "end_time", "format")
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    MIN_RISK_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    factory_id: str
    batch_id: str
    verdict: _enums_pb2.Verdict
    min_risk: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    format: _formats_pb2.ExportFormat
    def __init__(self, factory_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., verdict: _Optional[_Union[_enums_pb2.Verdict, str]] = ..., min_risk: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., format: _Optional[_Union[_formats_pb2.ExportFormat, str]] = ...) -> None: ...

class ExportFraudReportsRequest(_message.Message):
    __slots__ = ("status", "factory_id", "batch_id", "format")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FACTORY_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    status: FraudReportStatus
    factory_id: str
    batch_id: str
    format: _formats_pb2.ExportFormat
    def __init__(self, status: _Optional[_Union[FraudReportStatus, str]] = ..., factory_id: _Optional[str] = ..., batch_id: _Optional[str] = ..., format: _Optional[_Union[_formats_pb2.ExportFormat, str]] = ...) -> None: ...
