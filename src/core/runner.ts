/**
 * The runner: DRF's `Request._authenticate` loop and its 401-vs-403 rule.
 */
import { AuthError, SchemeError } from "./errors.js";
import { type Authenticated, type AuthRequest, type BaseAuthentication, schemeName } from "./scheme.js";

/**
 * A scheme recognised valid credentials.
 */
export interface AuthSuccess<User = unknown> {
  /** Always `"success"`. */
  outcome: "success";
  /** The application's user object. */
  user: User;
  /** What proved the identity (token record, session, claims, or `null`). */
  auth: unknown;
  /** The name of the scheme that succeeded. */
  scheme: string;
  /** The user's id: the scheme's `userId`, else a string or number `id` on the user object, else `null`. */
  userId: string | null;
  /** Django's `is_staff` as the scheme gave it; false when it gave none. */
  isStaff: boolean;
  /** Django's `is_superuser` as the scheme gave it; false when it gave none. */
  isSuperuser: boolean;
}

/**
 * No scheme found credentials of its kind: the request is anonymous. `status` and `wwwAuthenticate`
 * are what a route that requires a user answers (DRF's `NotAuthenticated`, after the 401-vs-403 rule).
 */
export interface AuthNone {
  /** Always `"none"`. */
  outcome: "none";
  /** 401 when the first scheme has a challenge, else 403. */
  status: 401 | 403;
  /** The first scheme's challenge, present exactly when `status` is 401. */
  wwwAuthenticate?: string;
}

/**
 * A scheme found bad credentials and threw an {@link AuthError}; later schemes were not tried.
 */
export interface AuthFailure {
  /** Always `"fail"`. */
  outcome: "fail";
  /** What the scheme threw. Its `status` may differ from the answer's: see the 401-vs-403 rule. */
  error: AuthError;
  /**
   * The status to answer: 403 for a `PermissionDenied` or when the first scheme has no challenge, 429
   * for a `Throttled` (a locked-out login), else 401.
   */
  status: 401 | 403 | 429;
  /** The challenge to send, present exactly when `status` is 401. */
  wwwAuthenticate?: string;
  /** The name of the scheme that failed. */
  scheme: string;
}

/**
 * The outcome of {@link authenticate}: `success`, `none` (anonymous) or `fail`.
 */
export type AuthResult<User = unknown> = AuthSuccess<User> | AuthNone | AuthFailure;

/**
 * Tries `schemes` in order, with DRF's semantics.
 *
 * - A scheme returning `null` passes to the next; the first `{ user, auth }` stops with `success`.
 * - A scheme throwing an {@link AuthError} stops at once with `fail`: later schemes are not called.
 * - A scheme throwing anything else (or returning something that is neither null nor `{ user, auth }`)
 *   makes the returned promise reject with a {@link SchemeError}: never swallowed, never anonymous.
 * - When every scheme returns null the outcome is `none`.
 *
 * Status rule (DRF `get_authenticate_header`): a 401 carries `WWW-Authenticate` from the FIRST scheme's
 * `authenticateHeader(request)` (or the first scheme's own error challenge when it is the one failing);
 * when the first scheme has none, the answer is 403. A `PermissionDenied` is always 403.
 *
 * @param request - the request to authenticate
 * @param schemes - the schemes, in order of preference
 * @returns the outcome, with the status and challenge to answer when it is not a success
 * @example
 * ```ts
 * const result = await authenticate(request, [new BasicAuthentication({ users })]);
 * if (result.outcome !== "success") return toResponse(result); // 401 + WWW-Authenticate
 * console.log(result.user);
 * ```
 * @see https://www.django-rest-framework.org/api-guide/authentication/#unauthorized-and-forbidden-responses
 */
export async function authenticate<User>(
  request: AuthRequest,
  schemes: readonly BaseAuthentication<User>[],
): Promise<AuthResult<User>> {
  for (let index = 0; index < schemes.length; index++) {
    const scheme = schemes[index]!;
    let authenticated: unknown;
    try {
      authenticated = await scheme.authenticate(request);
    } catch (error) {
      return failed(request, schemes, index, error);
    }
    if (authenticated !== null && authenticated !== undefined) return succeed(scheme, authenticated);
  }
  return { outcome: "none", ...challengeStatus(request, schemes, null) };
}

function failed<User>(
  request: AuthRequest,
  schemes: readonly BaseAuthentication<User>[],
  index: number,
  error: unknown,
): AuthFailure {
  const scheme = schemes[index]!;
  if (!(error instanceof AuthError)) throw new SchemeError(schemeName(scheme), error);
  const status =
    error.status === 401
      ? challengeStatus(request, schemes, index === 0 ? error : null)
      : { status: error.status };
  return { outcome: "fail", error, scheme: schemeName(scheme), ...status };
}

function succeed<User>(scheme: BaseAuthentication<User>, authenticated: unknown): AuthSuccess<User> {
  if (typeof authenticated !== "object" || authenticated === null || !("user" in authenticated)) {
    throw invalidResult(scheme);
  }
  const { user, auth, userId, isStaff, isSuperuser } = authenticated as Authenticated<User, unknown>;
  if (user === null || user === undefined) throw invalidResult(scheme);
  return {
    outcome: "success",
    user,
    auth: auth ?? null,
    scheme: schemeName(scheme),
    userId: typeof userId === "string" ? userId : idOf(user),
    isStaff: isStaff === true,
    isSuperuser: isSuperuser === true,
  };
}

function idOf(user: unknown): string | null {
  const id = (user as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? String(id) : null;
}

function invalidResult(scheme: BaseAuthentication<unknown>): SchemeError {
  return new SchemeError(
    schemeName(scheme),
    new TypeError("authenticate() must resolve to null or to { user, auth } with a user"),
  );
}

function challengeStatus(
  request: AuthRequest,
  schemes: readonly BaseAuthentication<unknown>[],
  firstError: AuthError | null,
): { status: 401; wwwAuthenticate: string } | { status: 403 } {
  const first = schemes[0];
  if (first === undefined) return { status: 403 };
  let header = firstError?.wwwAuthenticate;
  if (!header) {
    try {
      header = first.authenticateHeader?.(request);
    } catch (error) {
      throw new SchemeError(schemeName(first), error);
    }
  }
  return header ? { status: 401, wwwAuthenticate: header } : { status: 403 };
}
