/**
 * DRF's authentication exceptions, with a stable `code`, an HTTP `status` and the `detail` sent to clients.
 */

const BRAND = Symbol.for("portcullis.AuthError");

/** Options every {@link AuthError} constructor takes. */
export interface AuthErrorOptions {
  /** What made the credentials invalid (a jose error, say). Kept for logs; never sent to the client. */
  cause?: unknown;
  /** A challenge for this failure (RFC 6750 `error="invalid_token"`), used when the failing scheme is the first. */
  wwwAuthenticate?: string;
  /** More members for the JSON body, after `detail` and `code` (simplejwt's `messages`). */
  extra?: Readonly<Record<string, unknown>>;
}

/**
 * The base of every error a scheme throws on purpose: the runner turns it into a `fail` result
 * answered with `status` and the body `{"detail": detail, "code": code}`.
 *
 * @example
 * ```ts
 * class AccountLocked extends AuthError {
 *   override readonly name = "AccountLocked";
 *   constructor() {
 *     super("Account locked.", "account_locked", { status: 403 });
 *   }
 * }
 * ```
 * @see https://www.django-rest-framework.org/api-guide/exceptions/
 */
export class AuthError extends Error {
  /**
   * `instanceof AuthError` also recognises errors from another copy of portcullis (the ESM and CJS builds
   * loaded side by side), which a plain prototype check would turn into "unexpected" errors.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, maybe a subclass.
    if (this !== AuthError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** The error class's name, a string literal so minifiers cannot change it. */
  override readonly name: string = "AuthError";
  /** The HTTP status: 401 (bad or missing credentials), 403 (refused) or 429 (throttled). */
  readonly status: 401 | 403 | 429;
  /** A stable machine-readable code, such as `"authentication_failed"`. */
  readonly code: string;
  /** The human-readable message sent to the client. */
  readonly detail: string;
  /** A challenge specific to this failure; see {@link AuthErrorOptions.wwwAuthenticate}. */
  readonly wwwAuthenticate: string | undefined;
  /** More members for the JSON body; see {@link AuthErrorOptions.extra}. */
  readonly extra: Readonly<Record<string, unknown>> | undefined;

  /**
   * @param detail - the message sent to the client
   * @param code - the stable code sent to the client
   * @param options - `status` (default 401), `cause` and `wwwAuthenticate`
   */
  constructor(detail: string, code: string, options: AuthErrorOptions & { status?: 401 | 403 | 429 } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? 401;
    this.code = code;
    this.detail = detail;
    this.wwwAuthenticate = options.wwwAuthenticate;
    this.extra = options.extra;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * The answer to this error outside a route, as `toResponse(error)` gives it: its status and
   * `{"detail", "code"}`; a 401 only with its own challenge, else 403 (DRF without an authenticate
   * header). Hono's default error handler sends it instead of logging the error as a failure.
   *
   * @returns a JSON `Response`
   * @example
   * ```ts
   * new PermissionDenied().getResponse().status; // 403
   * ```
   */
  getResponse(): Response {
    const status = this.status === 429 ? 429 : this.status === 401 && this.wwwAuthenticate ? 401 : 403;
    const headers = errorHeaders(this);
    if (status === 401) headers["WWW-Authenticate"] = this.wwwAuthenticate!;
    return new Response(JSON.stringify(errorBody(this)), { status, headers });
  }
}

/** @internal `Content-Type`, and DRF's `Retry-After` for a {@link Throttled} with a wait. */
export function errorHeaders(error: AuthError): Record<string, string> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  // DRF's exception handler: `if getattr(exc, 'wait', None)`, so a wait of 0 sends no header.
  if (error instanceof Throttled && error.wait) headers["Retry-After"] = String(error.wait);
  return headers;
}

/** @internal The JSON body of an error: DRF's `detail`, portcullis's `code`, then its `extra` members. */
export function errorBody(error: AuthError): Record<string, unknown> {
  const body: Record<string, unknown> = { detail: error.detail, code: error.code };
  for (const [member, value] of Object.entries(error.extra ?? {}))
    if (!(member in body)) body[member] = value;
  return body;
}

/**
 * Credentials were present but wrong: 401 `authentication_failed`, DRF's `AuthenticationFailed`.
 *
 * @example
 * ```ts
 * throw new AuthenticationFailed("Invalid username/password.");
 * ```
 * @see https://www.django-rest-framework.org/api-guide/exceptions/#authenticationfailed
 */
export class AuthenticationFailed extends AuthError {
  /** Always `"AuthenticationFailed"`. */
  override readonly name: string = "AuthenticationFailed";

  /**
   * @param detail - defaults to "Incorrect authentication credentials."
   * @param code - defaults to "authentication_failed"
   * @param options - `cause` and `wwwAuthenticate`
   */
  constructor(
    detail = "Incorrect authentication credentials.",
    code = "authentication_failed",
    options: AuthErrorOptions = {},
  ) {
    super(detail, code, { ...options, status: 401 });
  }
}

/**
 * No credentials were given where a user is required: 401 `not_authenticated`, DRF's `NotAuthenticated`.
 *
 * @example
 * ```ts
 * if (result.outcome === "none") throw new NotAuthenticated();
 * ```
 * @see https://www.django-rest-framework.org/api-guide/exceptions/#notauthenticated
 */
export class NotAuthenticated extends AuthError {
  /** Always `"NotAuthenticated"`. */
  override readonly name: string = "NotAuthenticated";

  /**
   * @param detail - defaults to "Authentication credentials were not provided."
   * @param code - defaults to "not_authenticated"
   * @param options - `cause` and `wwwAuthenticate`
   */
  constructor(
    detail = "Authentication credentials were not provided.",
    code = "not_authenticated",
    options: AuthErrorOptions = {},
  ) {
    super(detail, code, { ...options, status: 401 });
  }
}

/**
 * The request is refused whoever sends it (a CSRF failure, say): 403 `permission_denied`, DRF's
 * `PermissionDenied`. A 403 never carries `WWW-Authenticate`.
 *
 * @example
 * ```ts
 * throw new PermissionDenied("CSRF Failed: CSRF token missing.");
 * ```
 * @see https://www.django-rest-framework.org/api-guide/exceptions/#permissiondenied
 */
export class PermissionDenied extends AuthError {
  /** Always `"PermissionDenied"`. */
  override readonly name: string = "PermissionDenied";

  /**
   * @param detail - defaults to "You do not have permission to perform this action."
   * @param code - defaults to "permission_denied"
   * @param options - `cause` (a `wwwAuthenticate` is ignored: 403 has no challenge)
   */
  constructor(
    detail = "You do not have permission to perform this action.",
    code = "permission_denied",
    options: AuthErrorOptions = {},
  ) {
    super(detail, code, {
      cause: options.cause,
      ...(options.extra ? { extra: options.extra } : {}),
      status: 403,
    });
  }
}

/**
 * A scheme threw something that is not an {@link AuthError}: a bug, or a store that could not answer.
 * The runner rethrows it wrapped, with the scheme's name and the original error as `cause`, so it is
 * never swallowed and never read as "anonymous" (DRF's `WrappedAttributeError` exists for the same reason).
 *
 * @example
 * ```ts
 * try {
 *   await authenticate(request, schemes);
 * } catch (error) {
 *   if (error instanceof SchemeError) log.error({ scheme: error.scheme, cause: error.cause });
 *   throw error;
 * }
 * ```
 */
export class SchemeError extends Error {
  /** Always `"SchemeError"`. */
  override readonly name = "SchemeError" as const;
  /** The name of the scheme that threw. */
  readonly scheme: string;
  /** What it threw. */
  override readonly cause: unknown;

  /**
   * @param scheme - the failing scheme's name
   * @param cause - what it threw
   */
  constructor(scheme: string, cause: unknown) {
    super(`Authentication scheme "${scheme}" failed unexpectedly: ${describe(cause)}`, { cause });
    this.scheme = scheme;
    this.cause = cause;
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  try {
    return String(cause);
  } catch {
    return typeof cause;
  }
}

/**
 * Thrown by a store that cannot answer (connection lost, timeout, server down): "could not ask", never
 * "not found". Adapters and endpoint handlers answer it with 503 instead of 500; the store recovers by
 * itself when the service returns.
 *
 * @example
 * ```ts
 * async findByDigest(digest) {
 *   try {
 *     return await db.selectFrom("tokens").selectAll().where("digest", "=", digest).executeTakeFirst();
 *   } catch (error) {
 *     throw new StoreUnavailable("tokens", { cause: error });
 *   }
 * }
 * ```
 */
export class StoreUnavailable extends Error {
  /** Always `"StoreUnavailable"`. */
  override readonly name = "StoreUnavailable" as const;
  /** Which store could not answer (`"tokens"`, `"sessions"`, …). */
  readonly store: string;

  /**
   * @param store - which store could not answer
   * @param options - `cause`: the driver's error
   */
  constructor(store: string, options: { cause?: unknown } = {}) {
    super(`The ${store} store is unavailable.`, options);
    this.store = store;
  }
}

/**
 * Too many requests: 429 `throttled`, DRF's `Throttled`. `wait` (seconds, rounded up) goes into the
 * detail and, when it is not 0, the `Retry-After` header.
 *
 * @example
 * ```ts
 * throw new Throttled(42); // 429 {"detail": "Request was throttled. Expected available in 42 seconds.", …}
 * ```
 * @see https://www.django-rest-framework.org/api-guide/exceptions/#throttled
 */
export class Throttled extends AuthError {
  /** Always `"Throttled"`. */
  override readonly name: string = "Throttled";
  /** Seconds until a request may succeed, rounded up; `null` when unknown. */
  readonly wait: number | null;

  /**
   * @param wait - seconds until a request may succeed, or null when unknown
   * @param detail - defaults to "Request was throttled."
   * @param code - defaults to "throttled"
   */
  constructor(wait: number | null = null, detail = "Request was throttled.", code = "throttled") {
    const seconds = wait === null ? null : Math.ceil(wait);
    const suffix =
      seconds === null ? "" : ` Expected available in ${seconds} second${seconds === 1 ? "" : "s"}.`;
    super(detail + suffix, code, { status: 429 });
    this.wait = seconds;
  }
}
