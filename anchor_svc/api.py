"""AnchorService handlers: proto <-> domain only.

Merkle proofs and EVM anchoring of batch roots.
"""

import grpc

from voketag.anchor.v1 import anchor_service_pb2 as pb
from voketag.anchor.v1 import anchor_service_pb2_grpc as rpc
from voketag.auth import FACTORY_WRITERS, SIGNED_IN, Role, allow, public
from voketag.errors import pending

# The anchor service's own work is issue #5; until it lands every RPC answers UNIMPLEMENTED,
# but each already declares who may call it.
ISSUE = 5

Context = grpc.aio.ServicerContext
SERVICE = pb.DESCRIPTOR.services_by_name["AnchorService"]


class AnchorApi(rpc.AnchorServiceServicer):
    @allow(*FACTORY_WRITERS)
    async def Anchor(self, request: pb.AnchorRequest, context: Context) -> pb.AnchorResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def GetAnchor(self, request: pb.GetAnchorRequest, context: Context) -> pb.GetAnchorResponse:
        raise pending(ISSUE)

    @public
    async def VerifyAnchor(self, request: pb.VerifyAnchorRequest, context: Context) -> pb.VerifyAnchorResponse:
        raise pending(ISSUE)

    @public
    async def GetMerkleProof(self, request: pb.GetMerkleProofRequest, context: Context) -> pb.GetMerkleProofResponse:
        raise pending(ISSUE)

    @allow(*SIGNED_IN)
    async def ListAnchors(self, request: pb.ListAnchorsRequest, context: Context) -> pb.ListAnchorsResponse:
        raise pending(ISSUE)

    @allow(Role.ADMIN)
    async def RetryAnchor(self, request: pb.RetryAnchorRequest, context: Context) -> pb.RetryAnchorResponse:
        raise pending(ISSUE)
