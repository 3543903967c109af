/**
 * Turning a failed or anonymous result into DRF's error response.
 */
import { AuthError, errorBody, errorHeaders, NotAuthenticated, StoreUnavailable } from "./errors.js";
import type { AuthResult } from "./runner.js";
import type { AuthRequest, BaseAuthentication } from "./scheme.js";

/**
 * The status, headers and JSON body of the error response for a result, for adapters that write
 * responses their own way. `null` for a success.
 */
export interface ErrorResponseParts {
  /** 401, or 403 when the first scheme has no challenge or the request is refused; 429 when throttled. */
  status: 401 | 403 | 429;
  /** `Content-Type`, `WWW-Authenticate` on a 401, `Retry-After` on a 429. */
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
  /** Nothing to log: a refusal is an answer (only {@link ServerErrorParts} carries an error). */
  error?: undefined;
}

/**
 * The parts of the error response for `result`, or `null` when it is a success.
 * A `none` result answers DRF's `NotAuthenticated`.
 *
 * @param result - the outcome of {@link index!authenticate | authenticate}
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
  const headers = errorHeaders(error);
  if (result.status === 401 && result.wwwAuthenticate) headers["WWW-Authenticate"] = result.wwwAuthenticate;
  return { status: result.status, headers, body: errorBody(error) as ErrorResponseParts["body"] };
}

/**
 * The answer to an unexpected error (a `SchemeError`, a store failure): never the error's message.
 *
 * @example
 * ```ts
 * const parts: ServerErrorParts = serverError(new StoreUnavailable("tokens"));
 * parts.status; // 503
 * ```
 */
export interface ServerErrorParts {
  /** Always false: the request is refused. */
  ok: false;
  /** 503 when a store could not answer, else 500. */
  status: 500 | 503;
  /** `Content-Type`, and `Retry-After` on a 503. */
  headers: Record<string, string>;
  /** `{"detail": "A server error occurred.", "code": "error"}` or DRF's `ServiceUnavailable`. */
  body: ErrorResponseParts["body"];
  /** What was thrown, for the error log. */
  error: unknown;
}

const JSON_HEADERS = { "Content-Type": "application/json" } as const;

/**
 * The answer to an unexpected error: 503 when a {@link StoreUnavailable} is anywhere in its `cause`
 * chain, else 500. The body never carries the error's message.
 *
 * @param error - what was thrown
 * @returns the deny outcome, with the error kept for logging
 * @example
 * ```ts
 * try { ... } catch (error) { const deny = serverError(error); log(deny.error); }
 * ```
 */
export function serverError(error: unknown): ServerErrorParts {
  return isStoreUnavailable(error)
    ? {
        ok: false,
        status: 503,
        headers: { ...JSON_HEADERS, "Retry-After": "5" },
        body: { detail: "Service temporarily unavailable, try again later.", code: "service_unavailable" },
        error,
      }
    : {
        ok: false,
        status: 500,
        headers: { ...JSON_HEADERS },
        body: { detail: "A server error occurred.", code: "error" },
        error,
      };
}

/**
 * Whether an error is, or was caused by, a {@link StoreUnavailable} (the runner wraps a scheme's error
 * in `SchemeError`; stores may wrap a driver's).
 *
 * @param error - what was thrown
 * @returns true for a store that cannot answer
 * @example
 * ```ts
 * if (isStoreUnavailable(error)) res.status(503);
 * ```
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current != null && depth < 8; depth++) {
    if (current instanceof StoreUnavailable || (current as { name?: unknown }).name === "StoreUnavailable") {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The answer to an {@link AuthError} thrown after authentication (by a view, a handler, a mounted
 * endpoint), as DRF's exception handler gives it: the error's status and body; a 401 carries the
 * error's own challenge, else `challenge` (the route's first scheme's `authenticateHeader`); a 401
 * with no challenge at all becomes 403, as DRF's `APIView.handle_exception` does.
 *
 * @param error - the AuthError thrown
 * @param challenge - the route's first scheme's challenge, if any
 * @returns status, headers and body
 * @see https://www.django-rest-framework.org/api-guide/exceptions/
 * @example
 * ```ts
 * const parts = authErrorParts(new PermissionDenied()); // 403, {"detail": "You do not have …", "code": "permission_denied"}
 * ```
 */
export function authErrorParts(error: AuthError, challenge?: string): ErrorResponseParts {
  if (error.status === 429) {
    return {
      status: 429,
      headers: errorHeaders(error),
      body: errorBody(error) as ErrorResponseParts["body"],
    };
  }
  const header = error.status === 401 ? error.wwwAuthenticate || challenge : undefined;
  const status = header ? 401 : 403;
  return errorResponseParts(
    header
      ? { outcome: "fail", error, status, wwwAuthenticate: header, scheme: "" }
      : { outcome: "fail", error, status, scheme: "" },
  )!;
}

/**
 * The first scheme's challenge for a request (DRF's `get_authenticate_header`), or `undefined` when it
 * has none or its `authenticateHeader` throws (the answer is then 403, never a 500 over a header).
 *
 * @param request - the request
 * @param schemes - the route's schemes, in order
 * @returns the `WWW-Authenticate` value, or undefined
 * @example
 * ```ts
 * routeChallenge(request, [new BasicAuthentication({ users })]); // 'Basic realm="api"'
 * ```
 */
export function routeChallenge(
  request: AuthRequest | null | undefined,
  schemes: readonly BaseAuthentication<unknown, unknown>[] | undefined,
): string | undefined {
  const first = schemes?.[0];
  if (!first?.authenticateHeader || !request) return undefined;
  try {
    return first.authenticateHeader(request) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The answer to anything thrown while a request is handled: an {@link AuthError} answers its own
 * status ({@link authErrorParts}); anything else 500, or 503 for a {@link StoreUnavailable}
 * ({@link serverError}), never with the error's message. `error` is set on the result only for the
 * unexpected ones, the errors to report.
 *
 * @param error - what was thrown
 * @param challenge - the route's first scheme's challenge, for a 401
 * @returns status, headers, body, and the error to report (unexpected errors only)
 * @example
 * ```ts
 * const parts = errorParts(error, routeChallenge(request, schemes));
 * if (parts.error !== undefined) log.error(parts.error);
 * return new Response(JSON.stringify(parts.body), parts);
 * ```
 */
export function errorParts(error: unknown, challenge?: string): ErrorResponseParts | ServerErrorParts {
  return error instanceof AuthError ? authErrorParts(error, challenge) : serverError(error);
}

/** Options for {@link toResponse} given an error: the route, for a 401's challenge. */
export interface ToResponseOptions {
  /** The request the error answers (the first scheme's challenge may depend on it). */
  request?: AuthRequest;
  /** The route's schemes: the first one's `authenticateHeader` is a 401's challenge. */
  schemes?: readonly BaseAuthentication<unknown, unknown>[];
}

/**
 * A Fetch `Response` answering a result that is not a success: the status, `Content-Type:
 * application/json`, `WWW-Authenticate` on a 401, and the body `{"detail": "…", "code": "…"}`.
 * `null` on success, so the caller goes on to its handler. Given an error instead: an
 * {@link AuthError} (thrown by a view, as DRF's exception handler sees it) answers its own status, a
 * 401 with the error's challenge or the first of `options.schemes`' (403 when there is none, as DRF);
 * anything else (what `authenticate` rejected with) answers 500, or 503 when a
 * {@link StoreUnavailable} caused it.
 *
 * @param result - the outcome of {@link authenticate}, or an error
 * @param options - for an error: the request and the route's schemes, for a 401's challenge
 * @returns the error response, or `null` on success
 * @example
 * ```ts
 * const result = await authenticate(request, schemes);
 * const denied = toResponse(result);
 * if (denied) return denied;
 * return Response.json({ user: result.user });
 * ```
 * @example An error thrown by a view
 * ```ts
 * toResponse(new PermissionDenied()); // 403 {"detail": "You do not have permission to perform this action.", "code": "permission_denied"}
 * toResponse(new NotAuthenticated(), { request, schemes }); // 401 with the first scheme's challenge
 * ```
 */
export function toResponse(
  result: AuthResult<unknown> | Error,
  options: ToResponseOptions = {},
): Response | null {
  const parts =
    result instanceof Error
      ? errorParts(result, routeChallenge(options.request, options.schemes))
      : errorResponseParts(result);
  if (parts === null) return null;
  return new Response(JSON.stringify(parts.body), { status: parts.status, headers: parts.headers });
}
