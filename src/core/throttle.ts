/**
 * The throttle contract and DRF's `check_throttles`: the last step of the pipeline, after permissions.
 */
import { Throttled } from "./errors.js";
import type { PermissionContext } from "./permissions.js";
import type { AuthRequest } from "./scheme.js";

/**
 * What a throttle sees: the permission context, plus the client's address and the route's scope.
 *
 * @example
 * ```ts
 * const key = ctx.userId ?? ctx.clientIp; // who to count
 * ```
 */
export interface ThrottleContext<User = unknown> extends PermissionContext<User> {
  /** The authenticated user's id (`UserRecord.id`), or `null` for an anonymous request. */
  readonly userId: string | null;
  /** The client's address (DRF's `get_ident`), or `null` when the adapter cannot tell. */
  readonly clientIp: string | null;
  /** The route's `throttleScope` (DRF's `throttle_scope`), or `null`. */
  readonly throttleScope: string | null;
}

/**
 * A throttle's answer: let the request through, or refuse it with the seconds to wait (`null` when
 * the throttle cannot tell).
 *
 * @example
 * ```ts
 * const decision: ThrottleDecision = { allowed: false, wait: 12.5 };
 * ```
 */
export type ThrottleDecision =
  | {
      /** The request may go on. */
      allowed: true;
    }
  | {
      /** The request is refused. */
      allowed: false;
      /** Seconds until a request may succeed, or `null` when the throttle cannot tell. */
      wait: number | null;
    };

/**
 * A throttle, DRF's `BaseThrottle`: counts the request and says whether it may go on. The built-in
 * ones are `AnonRateThrottle`, `UserRateThrottle` and `ScopedRateThrottle`; extend
 * `SimpleRateThrottle` for your own key.
 *
 * @example
 * ```ts
 * const closedAtNight: Throttle = {
 *   allowRequest: async () => (new Date().getHours() < 6 ? { allowed: false, wait: null } : { allowed: true }),
 * };
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/#custom-throttles
 */
export interface Throttle<User = unknown> {
  /** Counts the request (DRF's `allow_request` and `wait` in one call). */
  allowRequest(ctx: ThrottleContext<User>): Promise<ThrottleDecision>;
}

/**
 * Runs every throttle (each counts the request, as DRF's `check_throttles` does) and throws
 * {@link Throttled} with the longest wait when any refuses.
 *
 * @param ctx - the request's context
 * @param throttles - the route's throttles
 * @throws Throttled when a throttle refuses
 * @example
 * ```ts
 * await checkThrottles(ctx, [new UserRateThrottle({ rate: "1000/day", store })]);
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/#how-throttling-is-determined
 */
export async function checkThrottles<User>(
  ctx: ThrottleContext<User>,
  throttles: readonly Throttle<User>[],
): Promise<void> {
  const waits: (number | null)[] = [];
  for (const throttle of throttles) {
    const decision = await throttle.allowRequest(ctx);
    if (!decision.allowed) waits.push(decision.wait);
  }
  if (waits.length === 0) return;
  // DRF drops the `None` waits and answers the longest of the rest, or no wait at all.
  const known = waits.filter((wait): wait is number => wait !== null);
  throw new Throttled(known.length > 0 ? Math.max(...known) : null);
}

/**
 * The client's address as DRF's `get_ident` finds it with `NUM_PROXIES` set: the socket's address
 * when `numProxies` is 0 (the default: a header is never trusted unless you say so) or there is no
 * `X-Forwarded-For`; else the address `numProxies` entries from the end of `X-Forwarded-For`.
 *
 * @param request - the request, with the adapter's `remoteAddress`
 * @param numProxies - how many proxies in front of the app append to `X-Forwarded-For`
 * @returns the address, or `null` when there is none
 * @example
 * ```ts
 * clientIdent(request, 1); // behind one load balancer: the last X-Forwarded-For entry
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/#how-clients-are-identified
 */
export function clientIdent(request: AuthRequest, numProxies = 0): string | null {
  const remote = request.remoteAddress ?? null;
  if (numProxies <= 0) return remote;
  const forwarded = request.headers.get("x-forwarded-for");
  if (forwarded === null) return remote;
  const addresses = forwarded.split(",");
  return addresses[addresses.length - Math.min(numProxies, addresses.length)]!.trim();
}

/**
 * The client's address from what a Fetch-style server passes beside the request: portcullis's own
 * `{ remoteAddress }` (the Node adapters' `mount`), Deno's `ServeHandlerInfo` (`remoteAddr.hostname`),
 * Bun's `Server` (`requestIP(request)`) or @hono/node-server's `{ incoming }`; `null` for anything
 * else. @internal
 */
export function runtimeRemoteAddress(request: Request, info: unknown): string | null {
  if (typeof info !== "object" || info === null) return null;
  const given = info as {
    remoteAddress?: unknown;
    remoteAddr?: { hostname?: unknown };
    incoming?: { socket?: { remoteAddress?: unknown } };
    requestIP?: (request: Request) => { address?: unknown } | null;
  };
  if (typeof given.remoteAddress === "string") return given.remoteAddress;
  if (typeof given.remoteAddr?.hostname === "string") return given.remoteAddr.hostname;
  const socketAddress = given.incoming?.socket?.remoteAddress;
  if (typeof socketAddress === "string") return socketAddress;
  if (typeof given.requestIP === "function") {
    const address = given.requestIP(request)?.address;
    if (typeof address === "string") return address;
  }
  return null;
}

/**
 * The request with the client's address, read when a throttle or lockout asks: `address()` when it
 * gives one, else the one the server gave beside the request. @internal
 */
export function withRemoteAddress(
  request: Request,
  info: unknown,
  address?: () => string | null | undefined,
): AuthRequest {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    get remoteAddress(): string | null {
      return address?.() ?? runtimeRemoteAddress(request, info);
    },
  };
}
