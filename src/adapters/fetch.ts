/**
 * `portcullis/fetch`: authentication for Fetch-style handlers (Deno.serve, Bun.serve, Cloudflare
 * Workers, Next.js route handlers).
 */
import { type AuthOptions, guard, withDefaults } from "../core/guard.js";

/** What a handler wrapped by {@link withAuth} receives besides the request. */
export interface FetchAuthContext<User> {
  /** The authenticated user (`null` only with `required: false` and no credentials). */
  user: User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
  /** The scheme that succeeded (null for an allowed anonymous request). */
  scheme: string | null;
}

/** Options for {@link withAuth}: the schemes, `required`, and where unexpected errors are reported. */
export interface FetchAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
  /** Where a broken scheme's error is reported before the 500/503 answer. Default `console.error`. */
  onError?: (error: unknown, request: Request) => void;
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
 * store that cannot answer. Extra arguments (Workers' `env` and `ctx`, Next.js's `{ params }`) pass
 * through. The user's type comes from the schemes: no global declaration merging.
 *
 * @param handler - the handler to protect
 * @param options - schemes, `required` (default true), `onError`
 * @returns the protected handler
 * @example
 * ```ts
 * const schemes = [new JWTAuthentication({ jwt, users })];
 * Deno.serve(withAuth((request, { user }) => Response.json({ id: user.id }), { schemes }));
 * ```
 */
export function withAuth<User, Required extends boolean = true, Rest extends unknown[] = []>(
  handler: AuthedFetchHandler<User, Required, Rest>,
  options: FetchAuthOptions<User, Required>,
): (request: Request, ...rest: Rest) => Promise<Response> {
  const resolved = withDefaults(options);
  const onError = options.onError ?? reportError;
  return async (request, ...rest) => {
    const outcome = await guard(request, resolved);
    if (!outcome.ok) {
      if (outcome.error !== undefined) onError(outcome.error, request);
      return new Response(JSON.stringify(outcome.body), { status: outcome.status, headers: outcome.headers });
    }
    const context = { user: outcome.user as User, auth: outcome.auth, scheme: outcome.scheme };
    return handler(request, context, ...rest);
  };
}

/** What {@link createAuth} returns. */
export interface FetchAuth<User> {
  /**
   * {@link withAuth} with the project's defaults; the route's options win.
   *
   * @param handler - the handler to protect
   * @param options - the route's own schemes, `required`, `onError`
   * @returns the protected handler
   */
  withAuth<Required extends boolean = true, Rest extends unknown[] = []>(
    handler: AuthedFetchHandler<User, Required, Rest>,
    options?: Partial<FetchAuthOptions<User, Required>>,
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
 * ```
 */
export function createAuth<User>(defaults: FetchAuthOptions<User>): FetchAuth<User> {
  withDefaults(defaults);
  return {
    withAuth: (handler, options) =>
      withAuth(handler, { ...defaults, ...options, schemes: options?.schemes ?? defaults.schemes } as never),
  };
}

function reportError(error: unknown, request: Request): void {
  console.error(`portcullis: authentication failed unexpectedly for ${request.method} ${request.url}`, error);
}
