/**
 * Turning a failed or anonymous result into DRF's error response.
 */
import { NotAuthenticated } from "./errors.js";
import type { AuthResult } from "./runner.js";

/**
 * The status, headers and JSON body of the error response for a result, for adapters that write
 * responses their own way. `null` for a success.
 */
export interface ErrorResponseParts {
  /** 401, or 403 when the first scheme has no challenge or the request is refused. */
  status: 401 | 403;
  /** `Content-Type`, and `WWW-Authenticate` on a 401. */
  headers: Record<string, string>;
  /** DRF's body, with the code: `{"detail": "…", "code": "…"}`. */
  body: {
    /** The human-readable message. */
    detail: string;
    /** The stable machine-readable code. */
    code: string;
    /** Members an error adds (`AuthError.extra`), such as simplejwt's `messages`. */
    [member: string]: unknown;
  };
}

/**
 * The parts of the error response for `result`, or `null` when it is a success.
 * A `none` result answers DRF's `NotAuthenticated`.
 *
 * @param result - the outcome of {@link authenticate}
 * @returns status, headers and body, or `null`
 * @example
 * ```ts
 * const parts = errorResponseParts(result);
 * if (parts) {
 *   res.writeHead(parts.status, parts.headers).end(JSON.stringify(parts.body));
 * }
 * ```
 */
export function errorResponseParts(result: AuthResult<unknown>): ErrorResponseParts | null {
  if (result.outcome === "success") return null;
  const error = result.outcome === "fail" ? result.error : new NotAuthenticated();
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (result.status === 401 && result.wwwAuthenticate) headers["WWW-Authenticate"] = result.wwwAuthenticate;
  const body: ErrorResponseParts["body"] = { detail: error.detail, code: error.code };
  for (const [member, value] of Object.entries(error.extra ?? {}))
    if (!(member in body)) body[member] = value;
  return { status: result.status, headers, body };
}

/**
 * A Fetch `Response` answering a result that is not a success: the status, `Content-Type:
 * application/json`, `WWW-Authenticate` on a 401, and the body `{"detail": "…", "code": "…"}`.
 * `null` on success, so the caller goes on to its handler.
 *
 * @param result - the outcome of {@link authenticate}
 * @returns the error response, or `null` on success
 * @example
 * ```ts
 * const result = await authenticate(request, schemes);
 * const denied = toResponse(result);
 * if (denied) return denied;
 * return Response.json({ user: result.user });
 * ```
 */
export function toResponse(result: AuthResult<unknown>): Response | null {
  const parts = errorResponseParts(result);
  if (parts === null) return null;
  return new Response(JSON.stringify(parts.body), { status: parts.status, headers: parts.headers });
}
