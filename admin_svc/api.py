"""AdminService handlers: proto <-> domain only.

Governance: login, users, factories, dashboards, fraud review, audit, exports.
"""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import grpc
from google.api import httpbody_pb2

from admin_svc import exports
from admin_svc.model import AuditRow, Factory, ReportRow, ScanRow, ServiceAccount, Tokens, User
from admin_svc.usecases_identity import Identity
from admin_svc.usecases_reports import Counts, Reports
from admin_svc.usecases_review import AuditFilter, Review, ScanFilter
from voketag import context as rpc_context
from voketag import xlsx
from voketag.admin.v1 import admin_service_pb2 as pb
from voketag.admin.v1 import admin_service_pb2_grpc as rpc
from voketag.auth import STAFF, Principal, Role, allow, current_principal, public
from voketag.common.v1 import enums_pb2, risk_pb2
from voketag.ids import optional_uuid, request_id, required_uuid
from voketag.protos import timestamp

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["AdminService"]
CSV = "text/csv; charset=utf-8"

_ROLE_TO_PB = {
    Role.ADMIN: enums_pb2.ROLE_ADMIN,
    Role.AUDITOR: enums_pb2.ROLE_AUDITOR,
    Role.OPERATOR: enums_pb2.ROLE_OPERATOR,
    Role.SERVICE_ACCOUNT: enums_pb2.ROLE_SERVICE_ACCOUNT,
}
_ROLE_FROM_PB = {value: key for key, value in _ROLE_TO_PB.items()}


def _role(value: int) -> Role | None:
    return _ROLE_FROM_PB.get(value)  # type: ignore[call-overload]


def _verdict(value: int) -> str:
    return enums_pb2.Verdict.Name(value).removeprefix("VERDICT_") if value else ""


def _status(value: int) -> str:
    return pb.FraudReportStatus.Name(value).removeprefix("FRAUD_REPORT_STATUS_") if value else ""


def _time(message: Any, name: str) -> datetime | None:
    return message.__getattribute__(name).ToDatetime(UTC) if message.HasField(name) else None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None, "the policy of this RPC requires a signed-in caller"
    return principal


def user_pb(user: User) -> pb.User:
    return pb.User(
        id=str(user.id),
        email=user.email,
        display_name=user.display_name,
        role=_ROLE_TO_PB[user.role],
        factory_id=_text(user.factory_id),
        active=user.active,
        created_at=timestamp(user.created_at),
        updated_at=timestamp(user.updated_at),
        last_login_at=timestamp(user.last_login_at),
        deactivated_at=timestamp(user.deactivated_at),
    )


def factory_pb(factory: Factory) -> pb.Factory:
    return pb.Factory(
        id=str(factory.id),
        name=factory.name,
        code=factory.code,
        country_code=factory.country_code,
        active=factory.active,
        created_at=timestamp(factory.created_at),
        updated_at=timestamp(factory.updated_at),
    )


def account_pb(account: ServiceAccount) -> pb.ServiceAccount:
    return pb.ServiceAccount(
        id=str(account.id),
        name=account.name,
        factory_id=str(account.factory_id),
        client_id=account.client_id,
        description=account.description,
        active=account.active,
        secret_hint=account.secret_hint,
        created_at=timestamp(account.created_at),
        revoked_at=timestamp(account.revoked_at),
        last_used_at=timestamp(account.last_used_at),
    )


def counts_pb(counts: Counts) -> pb.DashboardCounts:
    return pb.DashboardCounts(
        products=counts.products,
        batches=counts.batches,
        scans=counts.scans,
        verdicts=verdicts_pb(counts.verdicts),
        average_risk=counts.average_risk,
        anchoring_failures=counts.anchoring_failures,
        fraud_reports=counts.fraud_reports,
        counterfeit_scans=counts.counterfeits,
    )


def verdicts_pb(verdicts: dict[str, int]) -> pb.VerdictCounts:
    return pb.VerdictCounts(**{name.lower(): count for name, count in verdicts.items()})


def factor_pb(factor: dict[str, Any]) -> risk_pb2.RiskFactor:
    kind = factor.get("kind", 0)
    if isinstance(kind, str):
        name = kind.upper()
        name = name if name.startswith("RISK_FACTOR_KIND_") else f"RISK_FACTOR_KIND_{name}"
        kind = risk_pb2.RiskFactorKind.Value(name) if name in risk_pb2.RiskFactorKind.keys() else 0  # noqa: SIM118
    return risk_pb2.RiskFactor(
        kind=kind,
        value=float(factor.get("value") or 0),
        contribution=int(factor.get("contribution") or 0),
        available=bool(factor.get("available", True)),
        explanation=str(factor.get("explanation") or ""),
    )


def scan_pb(row: ScanRow) -> pb.ScanRecord:
    factors = row.factors
    factors = json.loads(factors) if isinstance(factors, str) else factors
    return pb.ScanRecord(
        id=str(row.id),
        scanned_at=timestamp(row.scanned_at),
        product_id=_text(row.product_id),
        batch_id=_text(row.batch_id),
        factory_id=_text(row.factory_id),
        serial=row.serial,
        verdict=f"VERDICT_{row.verdict}",
        risk_score=row.risk_score,
        factors=[factor_pb(f) for f in factors if isinstance(f, dict)],
        country_code=row.country,
        device_hash=row.device_hash,
        ledger_sequence=row.ledger_seq,
        latitude=row.latitude,
        longitude=row.longitude,
    )


def report_pb(row: ReportRow, admin: bool) -> pb.FraudReport:
    """Personal data (contact) and a counterfeit code's text are for admins; every role sees the fingerprint.
    A genuine code's token is never part of a report (docs/admin.md)."""
    contact = row.contact if admin or not row.contact else "***"
    return pb.FraudReport(
        id=str(row.id),
        token=(row.counterfeit_token or "") if admin else "",
        token_fingerprint=row.token_fingerprint,
        product_id=_text(row.product_id),
        batch_id=_text(row.batch_id),
        factory_id=_text(row.factory_id),
        contact=contact,
        description=row.description,
        status=f"FRAUD_REPORT_STATUS_{row.status}",
        note=row.note,
        scan_id=_text(row.scan_id),
        country_code=row.country_code,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        updated_by=row.updated_by,
    )


def audit_pb(row: AuditRow) -> pb.AuditLogEntry:
    action = row.action
    area = action.lstrip("/").split(".")[1] if action.startswith("/voketag.") else ""
    details = json.loads(row.details) if isinstance(row.details, str) else row.details
    return pb.AuditLogEntry(
        sequence=row.seq,
        actor_id=row.actor,
        actor_role=_ROLE_TO_PB.get(Role(row.actor_role), enums_pb2.ROLE_UNSPECIFIED)
        if row.actor_role
        else enums_pb2.ROLE_UNSPECIFIED,
        action=action,
        object_type=row.object_type,
        object_id=row.object_id,
        request_id=row.request_id,
        peer=row.source,
        service=f"{area}_svc" if area else "",
        factory_id=row.factory_id,
        result_code=0,
        created_at=timestamp(row.at),
        hash=bytes.fromhex(row.hash),
        prev_hash=bytes.fromhex(row.prev_hash),
        details={key: str(value)[:256] for key, value in details.items()},
    )


def _token_fields(tokens: Tokens) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "user": user_pb(tokens.user),
        "refresh_expires_in": tokens.refresh_expires_in,
    }


async def _stream(chunks: AsyncIterator[bytes], as_xlsx: bool) -> AsyncIterator[httpbody_pb2.HttpBody]:
    content_type = xlsx.CONTENT_TYPE if as_xlsx else CSV
    async for chunk in chunks:
        yield httpbody_pb2.HttpBody(content_type=content_type, data=chunk)


class AdminApi(rpc.AdminServiceServicer):
    def __init__(self, identity: Identity, reports: Reports, review: Review, pool: asyncpg.Pool) -> None:
        self._identity = identity
        self._reports = reports
        self._review = review
        self._pool = pool

    @public
    async def Login(self, request: pb.LoginRequest, context: Context) -> pb.LoginResponse:
        tokens = await self._identity.login(request.email, request.password, rpc_context.client_address.get())
        return pb.LoginResponse(**_token_fields(tokens))

    @public
    async def RefreshToken(self, request: pb.RefreshTokenRequest, context: Context) -> pb.RefreshTokenResponse:
        tokens = await self._identity.refresh(request.refresh_token)
        return pb.RefreshTokenResponse(**_token_fields(tokens))

    # Users only: a service-account token belongs to no session; revoking the account ends its tokens.
    @allow(Role.ADMIN, Role.AUDITOR, Role.OPERATOR)
    async def Logout(self, request: pb.LogoutRequest, context: Context) -> pb.LogoutResponse:
        await self._identity.logout(_principal(), request.refresh_token, request.all_sessions)
        return pb.LogoutResponse()

    @public
    async def IssueServiceAccountToken(
        self, request: pb.IssueServiceAccountTokenRequest, context: Context
    ) -> pb.IssueServiceAccountTokenResponse:
        token, ttl = await self._identity.service_token(
            request.client_id, request.client_secret, rpc_context.client_address.get()
        )
        return pb.IssueServiceAccountTokenResponse(access_token=token, expires_in=ttl, token_type="Bearer")

    @public
    async def CompletePasswordReset(
        self, request: pb.CompletePasswordResetRequest, context: Context
    ) -> pb.CompletePasswordResetResponse:
        user_id = await self._identity.complete_reset(request.reset_token, request.new_password)
        return pb.CompletePasswordResetResponse(user_id=str(user_id))

    @allow(*STAFF)
    async def ListUsers(self, request: pb.ListUsersRequest, context: Context) -> pb.ListUsersResponse:
        page = await self._identity.list_users(
            request.page_size,
            request.page_token,
            _role(request.role),
            optional_uuid(request.factory_id, "factory_id"),
            request.active if request.HasField("active") else None,
            request.email_contains,
        )
        return pb.ListUsersResponse(users=[user_pb(u) for u in page.items], next_page_token=page.next_page_token)

    @allow(*STAFF)
    async def GetUser(self, request: pb.GetUserRequest, context: Context) -> pb.GetUserResponse:
        return pb.GetUserResponse(user=user_pb(await self._identity.get_user(required_uuid(request.id, "id"))))

    @allow(Role.ADMIN)
    async def CreateUser(self, request: pb.CreateUserRequest, context: Context) -> pb.CreateUserResponse:
        user, reset, expires = await self._identity.create_user(
            request_id(request.request_id),
            request.email,
            request.display_name,
            _role(request.role) or Role.SERVICE_ACCOUNT,
            optional_uuid(request.factory_id, "factory_id"),
            request.password,
        )
        return pb.CreateUserResponse(
            user=user_pb(user), password_reset_token=reset, password_reset_expires_at=timestamp(expires)
        )

    @allow(Role.ADMIN)
    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Context) -> pb.UpdateUserResponse:
        given = request.user
        user_id = required_uuid(given.id, "user.id")
        values = User(
            id=user_id,
            email=given.email,
            display_name=given.display_name,
            role=_role(given.role) or Role.SERVICE_ACCOUNT,
            factory_id=optional_uuid(given.factory_id, "user.factory_id"),
            active=given.active,
            token_version=0,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
            last_login_at=None,
            deactivated_at=None,
        )
        user = await self._identity.update_user(_principal(), user_id, list(request.update_mask.paths), values)
        return pb.UpdateUserResponse(user=user_pb(user))

    @allow(Role.ADMIN)
    async def DeleteUser(self, request: pb.DeleteUserRequest, context: Context) -> pb.DeleteUserResponse:
        user = await self._identity.delete_user(_principal(), required_uuid(request.id, "id"))
        return pb.DeleteUserResponse(user=user_pb(user))

    @allow(Role.ADMIN)
    async def ResetPassword(self, request: pb.ResetPasswordRequest, context: Context) -> pb.ResetPasswordResponse:
        token, expires = await self._identity.reset_password(required_uuid(request.id, "id"))
        return pb.ResetPasswordResponse(reset_token=token, expires_at=timestamp(expires))

    @allow(Role.ADMIN)
    async def CreateFactory(self, request: pb.CreateFactoryRequest, context: Context) -> pb.CreateFactoryResponse:
        factory = await self._identity.create_factory(
            request_id(request.request_id), request.name, request.code, request.country_code
        )
        return pb.CreateFactoryResponse(factory=factory_pb(factory))

    @allow(*STAFF)
    async def ListFactories(self, request: pb.ListFactoriesRequest, context: Context) -> pb.ListFactoriesResponse:
        page = await self._identity.list_factories(request.page_size, request.page_token)
        return pb.ListFactoriesResponse(
            factories=[factory_pb(f) for f in page.items], next_page_token=page.next_page_token
        )

    @allow(*STAFF)
    async def GetFactory(self, request: pb.GetFactoryRequest, context: Context) -> pb.GetFactoryResponse:
        factory = await self._identity.get_factory(required_uuid(request.id, "id"))
        return pb.GetFactoryResponse(factory=factory_pb(factory))

    @allow(Role.ADMIN)
    async def CreateServiceAccount(
        self, request: pb.CreateServiceAccountRequest, context: Context
    ) -> pb.CreateServiceAccountResponse:
        account, secret = await self._identity.create_account(
            request_id(request.request_id),
            request.name,
            required_uuid(request.factory_id, "factory_id"),
            request.description,
        )
        return pb.CreateServiceAccountResponse(service_account=account_pb(account), client_secret=secret)

    @allow(*STAFF)
    async def ListServiceAccounts(
        self, request: pb.ListServiceAccountsRequest, context: Context
    ) -> pb.ListServiceAccountsResponse:
        page = await self._identity.list_accounts(
            request.page_size,
            request.page_token,
            optional_uuid(request.factory_id, "factory_id"),
            request.include_revoked,
        )
        return pb.ListServiceAccountsResponse(
            service_accounts=[account_pb(a) for a in page.items], next_page_token=page.next_page_token
        )

    @allow(Role.ADMIN)
    async def RevokeServiceAccount(
        self, request: pb.RevokeServiceAccountRequest, context: Context
    ) -> pb.RevokeServiceAccountResponse:
        account = await self._identity.revoke_account(required_uuid(request.id, "id"))
        return pb.RevokeServiceAccountResponse(service_account=account_pb(account))

    @allow(*STAFF)
    async def GetDashboard(self, request: pb.GetDashboardRequest, context: Context) -> pb.GetDashboardResponse:
        factory_id = optional_uuid(request.factory_id, "factory_id")
        board = await self._reports.dashboard(factory_id)
        last_24h, last_7d, last_30d = (counts_pb(c) for c in board.windows)
        return pb.GetDashboardResponse(
            totals=counts_pb(board.totals),
            last_24h=last_24h,
            last_7d=last_7d,
            last_30d=last_30d,
            anchoring_backlog=board.anchoring_backlog,
            anchoring_failed=board.anchoring_failed,
            open_fraud_reports=board.open_fraud_reports,
            generated_at=timestamp(board.generated_at),
            factory_id=_text(factory_id),
        )

    @allow(*STAFF)
    async def GetAnalytics(self, request: pb.GetAnalyticsRequest, context: Context) -> pb.GetAnalyticsResponse:
        result = await self._reports.analytics(
            request.start_date, request.end_date, optional_uuid(request.factory_id, "factory_id"), request.top_n
        )
        return pb.GetAnalyticsResponse(
            start_date=result.start.isoformat(),
            end_date=result.end.isoformat(),
            daily=[
                pb.DailyStats(
                    date=day.day.isoformat(),
                    scans=day.counts.scans,
                    verdicts=verdicts_pb(day.counts.verdicts),
                    average_risk=day.counts.average_risk,
                    products_created=day.counts.products,
                    fraud_reports=day.counts.fraud_reports,
                    counterfeit_scans=day.counts.counterfeits,
                )
                for day in result.daily
            ],
            by_country=[
                pb.CountryStats(
                    country_code=code,
                    scans=counts.scans,
                    verdicts=verdicts_pb(counts.verdicts),
                    average_risk=counts.average_risk,
                    counterfeit_scans=counts.counterfeits,
                )
                for code, counts in result.by_country
            ],
            verdict_distribution=verdicts_pb(result.verdicts),
            risk_histogram=[
                pb.RiskBucket(min_score=i * 10, max_score=100 if i == 9 else i * 10 + 9, count=count)
                for i, count in enumerate(result.histogram)
            ],
            top_risky_products=[
                pb.RiskyProduct(
                    product_id=str(row.product_id),
                    batch_id=str(row.batch_id),
                    serial=row.serial,
                    sku=row.sku,
                    scans=row.scans,
                    max_risk=row.max_risk,
                    average_risk=row.average_risk,
                    last_scanned_at=timestamp(row.last_scanned_at),
                )
                for row in result.top_products
            ],
            top_risky_batches=[
                pb.RiskyBatch(
                    batch_id=str(row.batch_id),
                    factory_id=str(row.factory_id),
                    sku=row.sku,
                    product_line=row.product_line,
                    scans=row.scans,
                    suspicious_scans=row.suspicious_scans,
                    average_risk=row.average_risk,
                )
                for row in result.top_batches
            ],
            counterfeits=[
                pb.CounterfeitStats(key_id=key_id, reason=reason, scans=scans)
                for key_id, reason, scans in result.counterfeits
            ],
        )

    @allow(*STAFF)
    async def ListSuspiciousScans(
        self, request: pb.ListSuspiciousScansRequest, context: Context
    ) -> pb.ListSuspiciousScansResponse:
        scans = _scan_filter(request, default_min_risk=50)
        page = await self._review.suspicious_scans(scans, request.page_size, request.page_token)
        return pb.ListSuspiciousScansResponse(
            scans=[scan_pb(row) for row in page.items], next_page_token=page.next_page_token
        )

    @allow(*STAFF)
    async def ListFraudReports(
        self, request: pb.ListFraudReportsRequest, context: Context
    ) -> pb.ListFraudReportsResponse:
        page = await self._review.reports(
            _status(request.status),
            optional_uuid(request.factory_id, "factory_id"),
            optional_uuid(request.product_id, "product_id"),
            optional_uuid(request.batch_id, "batch_id"),
            request.page_size,
            request.page_token,
        )
        admin = _principal().role == Role.ADMIN
        return pb.ListFraudReportsResponse(
            reports=[report_pb(row, admin) for row in page.items], next_page_token=page.next_page_token
        )

    @allow(*STAFF)
    async def GetFraudReport(self, request: pb.GetFraudReportRequest, context: Context) -> pb.GetFraudReportResponse:
        row = await self._review.report(required_uuid(request.id, "id"))
        return pb.GetFraudReportResponse(report=report_pb(row, _principal().role == Role.ADMIN))

    @allow(Role.ADMIN)
    async def UpdateFraudReport(
        self, request: pb.UpdateFraudReportRequest, context: Context
    ) -> pb.UpdateFraudReportResponse:
        given = request.report
        row = await self._review.update_report(
            _principal().subject,
            required_uuid(given.id, "report.id"),
            list(request.update_mask.paths),
            _status(given.status),
            given.note,
        )
        return pb.UpdateFraudReportResponse(report=report_pb(row, True))

    @allow(*STAFF)
    async def ListAuditLogs(self, request: pb.ListAuditLogsRequest, context: Context) -> pb.ListAuditLogsResponse:
        entries = AuditFilter(
            request.actor_id,
            request.action,
            request.object_type,
            request.object_id,
            request.service,
            _time(request, "start_time"),
            _time(request, "end_time"),
        )
        page = await self._review.audit_log(entries, request.page_size, request.page_token)
        return pb.ListAuditLogsResponse(
            entries=[audit_pb(row) for row in page.items], next_page_token=page.next_page_token
        )

    @allow(*STAFF)
    async def VerifyAuditLog(self, request: pb.VerifyAuditLogRequest, context: Context) -> pb.VerifyAuditLogResponse:
        check = await self._review.verify_audit_log(request.from_sequence, request.to_sequence)
        return pb.VerifyAuditLogResponse(
            ok=check.ok,
            first_bad_sequence=check.first_bad_sequence,
            problem=check.problem,
            entries_checked=check.entries_checked,
            latest_sequence=check.latest_sequence,
        )

    @allow(*STAFF)
    async def ExportUsers(
        self, request: pb.ExportUsersRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        role = _role(request.role)
        as_xlsx = xlsx.requested(request.format)
        chunks = exports.users_csv(
            self._pool,
            role.value if role else "",
            optional_uuid(request.factory_id, "factory_id"),
            request.active if request.HasField("active") else None,
            as_xlsx,
        )
        async for body in _stream(chunks, as_xlsx):
            yield body

    @allow(*STAFF)
    async def ExportScans(
        self, request: pb.ExportScansRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        scans = _scan_filter(request, default_min_risk=0)
        as_xlsx = xlsx.requested(request.format)
        chunks = exports.scans_csv(self._pool, scans, as_xlsx)
        async for body in _stream(chunks, as_xlsx):
            yield body

    @allow(*STAFF)
    async def ExportFraudReports(
        self, request: pb.ExportFraudReportsRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        as_xlsx = xlsx.requested(request.format)
        chunks = exports.reports_csv(
            self._pool,
            _status(request.status),
            optional_uuid(request.factory_id, "factory_id"),
            optional_uuid(request.batch_id, "batch_id"),
            _principal().role == Role.ADMIN,
            as_xlsx,
        )
        async for body in _stream(chunks, as_xlsx):
            yield body


def _scan_filter(request: Any, default_min_risk: int) -> ScanFilter:
    return ScanFilter(
        min_risk=request.min_risk if request.HasField("min_risk") else default_min_risk,
        verdict=_verdict(request.verdict),
        factory_id=optional_uuid(request.factory_id, "factory_id"),
        batch_id=optional_uuid(request.batch_id, "batch_id"),
        # ExportScansRequest has no product or country filter.
        product_id=optional_uuid(getattr(request, "product_id", ""), "product_id"),
        start=_time(request, "start_time"),
        end=_time(request, "end_time"),
        country=getattr(request, "country_code", ""),
    )
