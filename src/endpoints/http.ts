/**
 * Response plumbing shared by the Fetch endpoint handlers: DRF's JSON bodies, its 405 and its `Allow`.
 * @internal
 */
import { isStoreUnavailable, serverError } from "../core/response.js";
import type { AuthRequest } from "../core/scheme.js";
import { withRemoteAddress } from "../core/throttle.js";

/**
 * A Fetch endpoint handler: what `obtainAuthToken`, `tokenLogin`, `tokenLogout` and `tokenLogoutAll`
 * return. Mount it wherever the runtime takes `(request) => Response`: `Deno.serve`, `Bun.serve`, a
 * Next.js route handler, a Cloudflare Worker, Hono's `app.post(path, (c) => handler(c.req.raw))`.
 *
 * A store that cannot answer (`StoreUnavailable`) is answered 503 (DRF's `ServiceUnavailable`, with
 * `Retry-After`); any other failure rejects (never resolves to a 4xx): let the server's error handling
 * answer 500.
 *
 * `info` is what the server passes beside the request, where a lockout reads the client's address:
 * `{ remoteAddress }` from the adapters' `mount`, Deno's `ServeHandlerInfo`, Bun's `Server`.
 *
 * @example
 * ```ts
 * const login: EndpointHandler = obtainAuthToken({ users, tokens });
 * Deno.serve((request, info) => login(request, info));
 * ```
 */
export type EndpointHandler = (request: Request, info?: unknown) => Promise<Response>;

/** The methods every login/logout endpoint allows (DRF's `Allow` for a view with `post` only). */
export const ALLOW_POST = "POST, OPTIONS";

/** @internal A JSON response, with DRF's `Content-Type: application/json`. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** @internal DRF's `{"detail": "…"}` error body (its `exception_handler`, no `code`). */
export function detailResponse(status: number, detail: string): Response {
  return jsonResponse(status, { detail });
}

/**
 * @internal
 * Wraps a POST handler as a DRF view with only `post`:
 * - `OPTIONS` → 200 `{}` (DRF answers 200 with its metadata; the body here is empty JSON);
 * - any other method but `POST` → 405 `{"detail": "Method \"GET\" not allowed."}`;
 * - every response, the handler's included, carries `Allow: POST, OPTIONS`, as DRF's
 *   `default_response_headers` do.
 * The method is checked before anything else, so a wrong method costs no store access.
 */
export function postOnly(
  handle: (request: Request, client: AuthRequest) => Promise<Response>,
): EndpointHandler {
  return async (request, info) => {
    let response: Response;
    if (request.method === "POST") {
      const client = withRemoteAddress(request, info);
      response = await unavailableAs503((request) => handle(request, client), request);
    } else if (request.method === "OPTIONS") response = jsonResponse(200, {});
    else response = methodNotAllowed(request.method, ALLOW_POST);
    response.headers.set("Allow", ALLOW_POST);
    return response;
  };
}

/**
 * @internal
 * DRF's 405 with `Allow`: `{"detail": "Method \"PATCH\" not allowed."}`, the method upper-cased as Django's
 * `request.method` is (Fetch upper-cases only the standard methods: `patch` stays `patch`).
 */
export function methodNotAllowed(method: string, allow: string): Response {
  const response = detailResponse(405, `Method "${method.toUpperCase()}" not allowed.`);
  response.headers.set("Allow", allow);
  return response;
}

/**
 * @internal
 * Runs a handler; a store that cannot answer ({@link StoreUnavailable} anywhere in the cause chain)
 * becomes DRF's 503, anything else propagates to the server's error handling.
 */
export async function unavailableAs503(
  handle: (request: Request) => Promise<Response>,
  request: Request,
): Promise<Response> {
  try {
    return await handle(request);
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    const parts = serverError(error);
    return new Response(JSON.stringify(parts.body), { status: parts.status, headers: parts.headers });
  }
}
