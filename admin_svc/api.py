"""AdminService handlers: proto <-> domain only.

Governance: login, users, factories, dashboards, fraud review, audit, exports.
"""

from collections.abc import AsyncIterator

import grpc
from google.api import httpbody_pb2

from voketag.admin.v1 import admin_service_pb2 as pb
from voketag.admin.v1 import admin_service_pb2_grpc as rpc
from voketag.auth import SIGNED_IN, STAFF, Role, allow, public
from voketag.errors import pending

# The admin service's own work is issue #6; until it lands every RPC answers UNIMPLEMENTED,
# but each already declares who may call it.
ISSUE = 6

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["AdminService"]


class AdminApi(rpc.AdminServiceServicer):
    @public
    async def Login(self, request: pb.LoginRequest, context: Context) -> pb.LoginResponse:
        raise pending(ISSUE)

    @public
    async def RefreshToken(self, request: pb.RefreshTokenRequest, context: Context) -> pb.RefreshTokenResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def Logout(self, request: pb.LogoutRequest, context: Context) -> pb.LogoutResponse:
        raise pending(ISSUE)

    @public
    async def IssueServiceAccountToken(
        self, request: pb.IssueServiceAccountTokenRequest, context: Context
    ) -> pb.IssueServiceAccountTokenResponse:
        raise pending(ISSUE)

    @public
    async def CompletePasswordReset(
        self, request: pb.CompletePasswordResetRequest, context: Context
    ) -> pb.CompletePasswordResetResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ListUsers(self, request: pb.ListUsersRequest, context: Context) -> pb.ListUsersResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def GetUser(self, request: pb.GetUserRequest, context: Context) -> pb.GetUserResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def CreateUser(self, request: pb.CreateUserRequest, context: Context) -> pb.CreateUserResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Context) -> pb.UpdateUserResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def DeleteUser(self, request: pb.DeleteUserRequest, context: Context) -> pb.DeleteUserResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def ResetPassword(self, request: pb.ResetPasswordRequest, context: Context) -> pb.ResetPasswordResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def CreateFactory(self, request: pb.CreateFactoryRequest, context: Context) -> pb.CreateFactoryResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ListFactories(self, request: pb.ListFactoriesRequest, context: Context) -> pb.ListFactoriesResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def GetFactory(self, request: pb.GetFactoryRequest, context: Context) -> pb.GetFactoryResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def CreateServiceAccount(
        self, request: pb.CreateServiceAccountRequest, context: Context
    ) -> pb.CreateServiceAccountResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ListServiceAccounts(
        self, request: pb.ListServiceAccountsRequest, context: Context
    ) -> pb.ListServiceAccountsResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def RevokeServiceAccount(
        self, request: pb.RevokeServiceAccountRequest, context: Context
    ) -> pb.RevokeServiceAccountResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def GetDashboard(self, request: pb.GetDashboardRequest, context: Context) -> pb.GetDashboardResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def GetAnalytics(self, request: pb.GetAnalyticsRequest, context: Context) -> pb.GetAnalyticsResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ListSuspiciousScans(
        self, request: pb.ListSuspiciousScansRequest, context: Context
    ) -> pb.ListSuspiciousScansResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ListFraudReports(
        self, request: pb.ListFraudReportsRequest, context: Context
    ) -> pb.ListFraudReportsResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def GetFraudReport(self, request: pb.GetFraudReportRequest, context: Context) -> pb.GetFraudReportResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def UpdateFraudReport(
        self, request: pb.UpdateFraudReportRequest, context: Context
    ) -> pb.UpdateFraudReportResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ListAuditLogs(self, request: pb.ListAuditLogsRequest, context: Context) -> pb.ListAuditLogsResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def VerifyAuditLog(self, request: pb.VerifyAuditLogRequest, context: Context) -> pb.VerifyAuditLogResponse:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ExportUsers(
        self, request: pb.ExportUsersRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        raise pending(ISSUE)

    @allow(*STAFF)
    async def ExportScans(
        self, request: pb.ExportScansRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        raise pending(ISSUE)
