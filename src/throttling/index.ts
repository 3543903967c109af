/**
 * `portcullis/throttling`: DRF's `rest_framework.throttling`, and lockout of password guessing. Give
 * throttles to a route as `throttles: [...]`, and a `Lockout` to the points that check passwords. The
 * Redis and Kysely throttle stores are in `portcullis/redis` and `portcullis/kysely`.
 *
 * @example
 * ```ts
 * import { AnonRateThrottle, Lockout, MemoryThrottleStore, UserRateThrottle } from "portcullis/throttling";
 *
 * const store = new MemoryThrottleStore();
 * const auth = createAuth({
 *   schemes,
 *   throttles: [new AnonRateThrottle({ rate: "100/day", store }), new UserRateThrottle({ rate: "1000/day", store })],
 * });
 * const login = obtainAuthToken({ users, tokens, lockout: new Lockout({ store }) });
 * ```
 *
 * @packageDocumentation
 */
export type { Throttle, ThrottleContext, ThrottleDecision } from "../core/throttle.js";
export { checkThrottles, clientIdent } from "../core/throttle.js";
export { MemoryThrottleStore } from "../stores/memory-throttle.js";
export type { ThrottleState, ThrottleStore } from "../stores/types.js";
export type { LockoutOptions } from "./lockout.js";
export { Lockout } from "./lockout.js";
export type {
  RateThrottleOptions,
  ScopedRateThrottleOptions,
  ThrottleRate,
  UserRateThrottleOptions,
} from "./rate.js";
export {
  AnonRateThrottle,
  parseRate,
  ScopedRateThrottle,
  SimpleRateThrottle,
  UserRateThrottle,
} from "./rate.js";
