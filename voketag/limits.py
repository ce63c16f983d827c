"""Length and range limits of request fields, declared once.

The validators of the services read this table; tests/test_limits.py checks that the contract's comment of
each field states the same numbers, so the proto and the code cannot drift apart.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    low: int
    high: int

    def bounds(self) -> tuple[int, int]:
        return self.low, self.high

    def describe(self) -> str:
        """How the contract's comments state the limit."""
        return f"{self.low}..{self.high}" if self.low else f"at most {self.high}"


LIMITS: dict[str, Limit] = {
    "voketag.factory.v1.CreateBatchRequest.quantity": Limit(1, 1_000_000),
    "voketag.factory.v1.CreateBatchRequest.product_line": Limit(1, 128),
    "voketag.factory.v1.CreateBatchRequest.product_name": Limit(1, 200),
    "voketag.factory.v1.RevokeBatchRequest.reason": Limit(1, 500),
    "voketag.factory.v1.RevokeBatchRequest.public_reason": Limit(0, 500),
    "voketag.admin.v1.CreateUserRequest.display_name": Limit(1, 200),
    "voketag.admin.v1.CreateFactoryRequest.name": Limit(1, 200),
    "voketag.admin.v1.CreateServiceAccountRequest.name": Limit(1, 200),
    "voketag.admin.v1.CreateServiceAccountRequest.description": Limit(0, 500),
    "voketag.admin.v1.FraudReport.note": Limit(0, 2000),
    "voketag.scan.v1.ReportFraudRequest.description": Limit(10, 2000),
    "voketag.scan.v1.ReportFraudRequest.contact": Limit(0, 254),
}
