/**
 * `portcullis/fetch`: authentication for Fetch-style handlers (Deno.serve, Bun.serve, Cloudflare
 * Workers, Next.js route handlers).
 */
import { AuthError } from "../core/errors.js";
import {
  type AuthOptions,
  denyThrown,
  ENDPOINT_FAILED,
  type GuardDeny,
  guard,
  reportError,
  withDefaults,
} from "../core/guard.js";
import { type ThrottleContext, withRemoteAddress } from "../core/throttle.js";
import type { EndpointHandler } from "../endpoints/http.js";

/** What a handler wrapped by {@link withAuth} receives besides the request. */
export interface FetchAuthContext<User> {
  /** The authenticated user (`null` only with `required: false` and no credentials). */
  user: User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
  /** The scheme that succeeded (null for an allowed anonymous request). */
  scheme: string | null;
  /** What the permissions saw, for `checkObjectPermissions(authContext, obj)` (not enumerable). */
  readonly authContext: ThrottleContext<Exclude<User, null>>;
}

/** Options for {@link withAuth}: the schemes, `required`, and where unexpected errors are reported. */
export interface FetchAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
  /** Where a broken scheme's error is reported before the 500/503 answer. Default `console.error`. */
  onError?: (error: unknown, request: Request) => void;
  /**
   * The client's address, for throttles and a scheme's lockout (the server's second argument comes
   * after the request). Default: Deno's `info.remoteAddr`, Bun's `server.requestIP(request)`,
   * @hono/node-server's `incoming.socket`; else unknown. On Cloudflare,
   * `(request) => request.headers.get("CF-Connecting-IP")`.
   */
  clientAddress?: (request: Request, ...rest: unknown[]) => string | null | undefined;
}

/** A Fetch handler with the authenticated user: the user may be null only when `required` is false. */
export type AuthedFetchHandler<User, Required extends boolean, Rest extends unknown[]> = (
  request: Request,
  context: FetchAuthContext<false extends Required ? User | null : User>,
  ...rest: Rest
) => Response | Promise<Response>;

/**
 * Wraps a Fetch handler: runs the schemes first and calls the handler with `{ user, auth, scheme }`, or
 * answers 401/403 with DRF's JSON body and `WWW-Authenticate`, 500 for a broken scheme, 503 for a
 * store that cannot answer. An `AuthError` the handler throws (`PermissionDenied`, `NotAuthenticated`)
 * answers its own status, as DRF's exception handler does: 403, or 401 with the first scheme's challenge. Extra arguments (Workers' `env` and `ctx`, Next.js's `{ params }`) pass
 * through. The user's type comes from the schemes: no global declaration merging.
 *
 * @param handler - the handler to protect
 * @param options - schemes, `required` (default true), `onError`
 * @returns the protected handler
 * @example
 * ```ts
 * const schemes = [new JWTAuthentication({ jwt })];
 * Deno.serve(withAuth((request, { user }) => Response.json({ id: user.id }), { schemes }));
 * ```
 */
export function withAuth<User, Required extends boolean = true, Rest extends unknown[] = []>(
  handler: AuthedFetchHandler<User, Required, Rest>,
  options: FetchAuthOptions<User, Required>,
): (request: Request, ...rest: Rest) => Promise<Response> {
  const resolved = withDefaults<User, FetchAuthOptions<User, Required>>(options);
  const onError = resolved.onError ?? ((error, request) => reportError(error, request.method, request.url));
  const { clientAddress } = resolved;
  return async (request, ...rest) => {
    // The client's address is read only if a throttle or a scheme's lockout asks for it.
    const view = withRemoteAddress(
      request,
      rest[0],
      clientAddress && (() => clientAddress(request, ...rest)),
    );
    const outcome = await guard(view, resolved);
    if (!outcome.ok) {
      if (outcome.error !== undefined) onError(outcome.error, request);
      return answer(outcome);
    }
    const context = {
      user: outcome.user as User,
      auth: outcome.auth,
      scheme: outcome.scheme,
    } as FetchAuthContext<User>;
    // Not enumerable: `Response.json(context)` keeps answering the user, auth and scheme only.
    Object.defineProperty(context, "authContext", { value: outcome.context });
    try {
      return await handler(request, context, ...rest);
    } catch (error) {
      // DRF's exception handler: an AuthError raised by the view answers its own status. Anything
      // else is the application's to answer (the runtime's 500).
      if (!(error instanceof AuthError)) throw error;
      return answer(denyThrown(error, request, resolved.schemes));
    }
  };
}

function answer(deny: GuardDeny): Response {
  return new Response(JSON.stringify(deny.body), { status: deny.status, headers: deny.headers });
}

/** Options for {@link mount}. */
export interface FetchMountOptions {
  /** Where an unexpected error is reported before the 500/503 answer. Default `console.error`. */
  onError?: (error: unknown, request: Request) => void;
}

/**
 * Wraps a Fetch endpoint handler (the token, JWT and session endpoints, or one of your own) so that it
 * never rejects: an `AuthError` it throws answers its own status with DRF's body (403, or 401 when the
 * error carries a challenge), a store that cannot answer 503 with `Retry-After`, anything else 500
 * `{"detail": "A server error occurred.", "code": "error"}`, never the error's message; the
 * unexpected error goes to `onError`.
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @param options - `onError`
 * @returns a handler that always resolves to a Response
 * @example
 * ```ts
 * Deno.serve(mount(createJWTHandlers(jwt).obtainPair, { onError: (error) => log.error(error) }));
 * ```
 */
export function mount(handler: EndpointHandler, options: FetchMountOptions = {}): EndpointHandler {
  const onError =
    options.onError ?? ((error, request) => reportError(error, request.method, request.url, ENDPOINT_FAILED));
  return async (request, info) => {
    try {
      return await handler(request, info);
    } catch (error) {
      const deny = denyThrown(error, null, undefined);
      if (deny.error !== undefined) onError(deny.error, request);
      return answer(deny);
    }
  };
}

/** What {@link createAuth} returns. */
export interface FetchAuth<User, Required extends boolean = true> {
  /**
   * {@link withAuth} with the project's defaults; the route's options win, key by key (an `undefined`
   * one keeps the project's value). The user is nullable when the route, or else the project, has
   * `required: false`.
   *
   * @param handler - the handler to protect
   * @param options - the route's own schemes, `required`, `onError`
   * @returns the protected handler
   */
  withAuth<Route extends boolean = Required, Rest extends unknown[] = []>(
    handler: AuthedFetchHandler<User, Route, Rest>,
    options?: Partial<FetchAuthOptions<User, Route>>,
  ): (request: Request, ...rest: Rest) => Promise<Response>;
}

/**
 * Project-wide defaults with per-route override: DRF's `DEFAULT_AUTHENTICATION_CLASSES` and a view's
 * `authentication_classes`.
 *
 * @param defaults - the project's schemes (and `required`, `onError`)
 * @returns `withAuth(handler, options?)` using the defaults unless the route passes its own
 * @example
 * ```ts
 * const { withAuth } = createAuth({ schemes: [session, bearer] });
 * export const GET = withAuth((request, { user }) => Response.json(user));
 * export const POST = withAuth(handler, { schemes: [bearer] });
 * // With `required: false` in the defaults, every route's user is `User | null` unless it says otherwise.
 * ```
 */
export function createAuth<User, Required extends boolean = true>(
  defaults: FetchAuthOptions<User, Required>,
): FetchAuth<User, Required> {
  withDefaults(defaults);
  return {
    withAuth: (handler, options) =>
      withAuth(handler, withDefaults<User, FetchAuthOptions<User>>(defaults, options) as never),
  };
}
