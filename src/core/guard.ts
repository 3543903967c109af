/**
 * What every adapter does with a request, in one place: run the schemes, apply `required`, and turn
 * the outcome into "let it through with this user" or "answer with this status, headers and body".
 */
import { StoreUnavailable } from "./errors.js";
import { type ErrorResponseParts, errorResponseParts } from "./response.js";
import { type AuthResult, authenticate } from "./runner.js";
import type { AuthRequest, BaseAuthentication } from "./scheme.js";

/**
 * Options for an adapter's `auth()` (and `withAuth` for Fetch handlers).
 *
 * @example
 * ```ts
 * const options: AuthOptions<AppUser> = { schemes: [new BasicAuthentication({ users })], required: true };
 * ```
 */
export interface AuthOptions<User = unknown> {
  /** The schemes, in order (DRF's `authentication_classes`). */
  schemes: readonly BaseAuthentication<User>[];
  /**
   * Whether an anonymous request is refused (DRF's `IsAuthenticated`). Default true. With false, an
   * anonymous request goes through with `user` and `auth` null; bad credentials are refused either way.
   */
  required?: boolean;
}

/**
 * A request let through: the user and what proved it, or all null for an allowed anonymous request.
 *
 * @example
 * ```ts
 * if (outcome.ok) console.log(outcome.user, outcome.scheme);
 * ```
 */
export interface GuardPass<User> {
  /** Always true. */
  ok: true;
  /** The authenticated user, or null (anonymous, with `required: false`). */
  user: User | null;
  /** What proved the identity (a token record, session, claims), or null. */
  auth: unknown;
  /** The scheme that succeeded, or null. */
  scheme: string | null;
}

/**
 * A request refused: the answer to send.
 *
 * @example
 * ```ts
 * if (!outcome.ok) return new Response(JSON.stringify(outcome.body), outcome);
 * ```
 */
export interface GuardDeny {
  /** Always false. */
  ok: false;
  /** 401 or 403 (DRF's rule); 500 for a broken scheme; 503 for a store that cannot answer. */
  status: 401 | 403 | 500 | 503;
  /** `Content-Type`, and `WWW-Authenticate` on a 401. */
  headers: Record<string, string>;
  /** DRF's `{"detail", "code"}`. */
  body: ErrorResponseParts["body"];
  /** For 500 and 503: what the scheme threw (a `SchemeError`), for the framework's error log. */
  error?: unknown;
}

/** The outcome of {@link guard}. */
export type GuardOutcome<User> = GuardPass<User> | GuardDeny;

const JSON_HEADERS = { "Content-Type": "application/json" } as const;

/**
 * Runs the schemes on a request and decides, as every adapter does:
 * success → pass with the user; none → 401/403 when `required` (the default), else pass anonymous;
 * fail → 401/403 with DRF's body; a scheme that breaks → 500 `{"detail": "A server error occurred.",
 * "code": "error"}`, or 503 `{"detail": "Service temporarily unavailable, try again later.", "code":
 * "service_unavailable"}` when the cause is a {@link StoreUnavailable}: never anonymous.
 *
 * @param request - the request view
 * @param options - schemes and `required`
 * @returns pass or deny
 * @example
 * ```ts
 * const outcome = await guard(toAuthRequest(req), { schemes });
 * if (!outcome.ok) return res.writeHead(outcome.status, outcome.headers).end(JSON.stringify(outcome.body));
 * ```
 */
export function guard<User>(request: AuthRequest, options: AuthOptions<User>): Promise<GuardOutcome<User>> {
  const required = options.required ?? true;
  return authenticate(request, options.schemes).then(
    (result) => decide(result, required),
    (error: unknown) => serverError(error),
  );
}

function decide<User>(result: AuthResult<User>, required: boolean): GuardOutcome<User> {
  if (result.outcome === "success") {
    return { ok: true, user: result.user, auth: result.auth, scheme: result.scheme };
  }
  if (result.outcome === "none" && !required) return { ok: true, user: null, auth: null, scheme: null };
  const parts = errorResponseParts(result)!;
  return { ok: false, status: parts.status, headers: parts.headers, body: parts.body };
}

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
export function serverError(error: unknown): GuardDeny {
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
 * Project-wide defaults with per-route override (DRF's `DEFAULT_AUTHENTICATION_CLASSES` and a view's
 * `authentication_classes`): the route's options win, key by key.
 *
 * @param defaults - the project's options
 * @param route - a route's options, if any
 * @returns the options for the route
 * @example
 * ```ts
 * withDefaults({ schemes: [basic] }, { required: false }); // { schemes: [basic], required: false }
 * ```
 */
export function withDefaults<User>(
  defaults: AuthOptions<User>,
  route: Partial<AuthOptions<User>> = {},
): AuthOptions<User> {
  const merged: AuthOptions<User> = { ...defaults, ...route, schemes: route.schemes ?? defaults.schemes };
  if (!merged.schemes || merged.schemes.length === 0) {
    throw new TypeError("auth() needs `schemes`: one scheme or more.");
  }
  return merged;
}
