/**
 * The request view and the scheme interface: DRF's `BaseAuthentication`, typed.
 */
import type { UserRecord } from "./records.js";

/**
 * The part of an HTTP request that authentication reads. Every Fetch API `Request` satisfies it;
 * adapters build one over their framework's request in O(1), without copying headers or reading a body.
 *
 * @example
 * ```ts
 * const request: AuthRequest = new Request("https://api.example.com/me/", {
 *   headers: { Authorization: "Basic ZGVtbzpkZW1v" },
 * });
 * ```
 */
export interface AuthRequest {
  /** The HTTP method, upper-case (`"GET"`, `"POST"`). */
  readonly method: string;
  /** The absolute URL, or the path and query. */
  readonly url: string;
  /** Case-insensitive header lookup; `null` when the header is absent. */
  readonly headers: {
    /** The header's value (repeated headers joined with ", "), or `null` when it is absent. */
    get(name: string): string | null;
  };
  /**
   * The connection's peer address (DRF's `REMOTE_ADDR`), where the adapter knows it: throttles and
   * lockout key anonymous clients by it.
   */
  readonly remoteAddress?: string | null;
}

/**
 * What a scheme returns when it recognises valid credentials: DRF's `(user, auth)` tuple.
 *
 * @example
 * ```ts
 * const result: Authenticated<{ id: string }, null> = { user: { id: "1" }, auth: null };
 * ```
 */
export interface Authenticated<User = unknown, Auth = unknown> {
  /** The application's own user object (`UserRecord.user`), never the password hash. */
  user: User;
  /** What proved the identity: a token record, a session, the JWT claims, or `null` (Basic). */
  auth: Auth;
  /** The user's `UserRecord.id`, for throttles; the built-in schemes give it. */
  userId?: string;
  /** Django's `is_staff`, for `IsAdminUser`; the built-in schemes copy it from the record. */
  isStaff?: boolean;
  /** Django's `is_superuser`; the built-in schemes copy it from the record. */
  isSuperuser?: boolean;
}

/**
 * The identity fields of a success taken from a user record (never its hash), for a scheme to spread
 * into its answer.
 *
 * @param record - the user's record
 * @returns `userId`, `isStaff` and `isSuperuser`
 * @example
 * ```ts
 * return { user: record.user, auth: null, ...recordIdentity(record) };
 * ```
 */
export function recordIdentity(
  record: UserRecord<unknown>,
): Required<Pick<Authenticated, "userId" | "isStaff" | "isSuperuser">> {
  return { userId: record.id, isStaff: record.isStaff === true, isSuperuser: record.isSuperuser === true };
}

/**
 * An authentication scheme, DRF's `BaseAuthentication`: it looks at a request and
 * - returns `null` when the request carries no credentials of its kind (the runner tries the next scheme);
 * - returns `{ user, auth }` when it carries valid ones (success);
 * - throws an {@link AuthError} when it carries bad ones (fail: later schemes are not tried).
 *
 * Anything else it throws is a bug or an outage and reaches the caller as a {@link SchemeError}.
 *
 * @example
 * ```ts
 * class ApiKeyAuthentication implements BaseAuthentication<User, null> {
 *   readonly name = "api-key";
 *   async authenticate(request: AuthRequest) {
 *     const key = request.headers.get("x-api-key");
 *     if (key === null) return null;
 *     const user = await findUserByKey(key);
 *     if (!user) throw new AuthenticationFailed("Invalid API key.");
 *     return { user, auth: null };
 *   }
 *   authenticateHeader() {
 *     return 'ApiKey realm="api"';
 *   }
 * }
 * ```
 * @see https://www.django-rest-framework.org/api-guide/authentication/#custom-authentication
 */
export interface BaseAuthentication<User = unknown, Auth = unknown> {
  /** The name reported in results and errors; built-ins use `"basic"`, `"token"`, `"jwt"`, `"session"`. */
  readonly name?: string;
  /** Recognise and check this scheme's credentials. */
  authenticate(request: AuthRequest): Promise<Authenticated<User, Auth> | null>;
  /**
   * The `WWW-Authenticate` challenge for a 401. A scheme without one (DRF's SessionAuthentication)
   * makes the runner answer 403 when it is the first scheme.
   */
  authenticateHeader?(request: AuthRequest): string | undefined;
}

/** The name the runner reports for a scheme: its `name`, else its class name, else `"anonymous"`. */
export function schemeName(scheme: BaseAuthentication<unknown, unknown>): string {
  return scheme.name ?? (scheme.constructor !== Object ? scheme.constructor?.name : undefined) ?? "anonymous";
}
