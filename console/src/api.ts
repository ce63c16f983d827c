// The typed clients: gRPC-Web through the same Envoy that serves the console, every call carrying the
// signed-in user's own access token. The services' policies decide; the console only hides controls.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AdminService } from "./gen/voketag/admin/v1/admin_service_pb.js";
import { AnchorService } from "./gen/voketag/anchor/v1/anchor_service_pb.js";
import { FactoryService } from "./gen/voketag/factory/v1/factory_service_pb.js";
import { BadRequestSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { session } from "./session.js";

// Calls that must not trigger a refresh-and-retry: they are how a session starts or renews.
const PUBLIC_METHODS = new Set(["Login", "RefreshToken"]);

const auth: Interceptor = (next) => async (request) => {
  if (PUBLIC_METHODS.has(request.method.name)) {
    return next(request);
  }
  request.header.set("authorization", `Bearer ${await session.accessToken()}`);
  try {
    return await next(request);
  } catch (error) {
    if (ConnectError.from(error).code !== Code.Unauthenticated) {
      throw error;
    }
    // The access token expired or was revoked: one refresh, then one retry; a refused refresh ends the
    // session and sends the user to sign-in (session.expire).
    request.header.set("authorization", `Bearer ${await session.renew()}`);
    try {
      return await next(request);
    } catch (retryError) {
      if (ConnectError.from(retryError).code === Code.Unauthenticated) {
        session.expire();
      }
      throw retryError;
    }
  }
};

const transport = createGrpcWebTransport({ baseUrl: location.origin, interceptors: [auth] });

export const admin = createClient(AdminService, transport);
export const factory = createClient(FactoryService, transport);
export const anchor = createClient(AnchorService, transport);

/** What a person should read about a failed call: the message plus each field problem. */
export function describeError(error: unknown): { message: string; fields: string[]; retryAfterS?: number } {
  const err = ConnectError.from(error);
  const fields = err
    .findDetails(BadRequestSchema)
    .flatMap((detail) => detail.fieldViolations.map((v) => `${v.field}: ${v.description}`));
  const retry = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
  const retryAfterS = retry ? Number(retry.seconds) + Math.ceil(retry.nanos / 1e9) : undefined;
  return { message: err.rawMessage || Code[err.code], fields, retryAfterS };
}

/** A REST call through the transcoder, for what gRPC-Web cannot carry from a browser: the CSV upload
 * (client streaming) and the CSV download (saved as a file). */
export async function restFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const call = async (token: string) =>
    fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });
  let reply = await call(await session.accessToken());
  if (reply.status === 401) {
    reply = await call(await session.renew());
    if (reply.status === 401) {
      session.expire();
    }
  }
  return reply;
}

/** The google.rpc.Status JSON of a failed REST call, as text a person can read. */
export async function restError(reply: Response): Promise<{ message: string; fields: string[] }> {
  try {
    const body = (await reply.json()) as {
      message?: string;
      details?: { fieldViolations?: { field: string; description: string }[] }[];
    };
    const fields = (body.details ?? []).flatMap((d) =>
      (d.fieldViolations ?? []).map((v) => `${v.field}: ${v.description}`),
    );
    return { message: body.message ?? `HTTP ${reply.status}`, fields };
  } catch {
    return { message: `HTTP ${reply.status}`, fields: [] };
  }
}

/** A CSV upload with progress (fetch cannot report upload progress). The answer comes back as a
 * Response so callers read it like restFetch's. */
export async function restUpload(path: string, body: Blob, onProgress: (fraction: number) => void): Promise<Response> {
  const send = (token: string) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", path);
      xhr.setRequestHeader("authorization", `Bearer ${token}`);
      xhr.setRequestHeader("content-type", "text/csv");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) {
          onProgress(event.loaded / event.total);
        }
      });
      xhr.addEventListener("load", () =>
        resolve(new Response(xhr.responseText, { status: xhr.status, headers: { "content-type": xhr.getResponseHeader("content-type") ?? "" } })),
      );
      xhr.addEventListener("error", () => reject(new Error("The upload failed: the gateway could not be reached.")));
      xhr.send(body);
    });
  let reply = await send(await session.accessToken());
  if (reply.status === 401) {
    reply = await send(await session.renew());
    if (reply.status === 401) {
      session.expire();
    }
  }
  return reply;
}
