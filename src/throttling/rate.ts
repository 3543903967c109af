/**
 * DRF's rate throttles (`throttling.py`): a sliding window of request times per key, in a ThrottleStore.
 */
import type { AuthEvents } from "../core/events.js";
import { isStoreUnavailable } from "../core/response.js";
import type { Throttle, ThrottleContext, ThrottleDecision } from "../core/throttle.js";
import type { ThrottleState, ThrottleStore } from "../stores/types.js";

/** DRF's periods: the first letter of `s`, `sec`, `m`, `minute`, `h`, `hour`, `d`, `day`, … */
const PERIODS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A rate as DRF writes it: a whole number of requests, `/`, and a period read by its first letter
 * (`"100/day"`, `"10/minute"`, `"5/s"`, `"1000/h"`).
 *
 * @example
 * ```ts
 * const rate: ThrottleRate = "100/day";
 * ```
 */
export type ThrottleRate = `${number}/${string}`;

/**
 * DRF's `parse_rate`: the number of requests and the period in seconds.
 *
 * @param rate - such as `"100/day"`
 * @returns `[requests, seconds]`
 * @throws TypeError for anything DRF would not read (`"100/fortnight"`, `"ten/day"`, `"100"`)
 * @example
 * ```ts
 * parseRate("10/minute"); // [10, 60]
 * ```
 */
export function parseRate(rate: string): [number, number] {
  const match = /^([0-9]+)\/([smhd])[a-z]*$/.exec(typeof rate === "string" ? rate : "");
  if (match === null) {
    throw new TypeError(
      `Invalid throttle rate ${JSON.stringify(rate)}: use "<requests>/<s|m|h|d…>", as "100/day".`,
    );
  }
  return [Number(match[1]), PERIODS[match[2]!]!];
}

/** Options every rate throttle takes. */
export interface RateThrottleOptions {
  /** Where the counts live: `MemoryThrottleStore` in one process, Redis or Kysely across instances. */
  store: ThrottleStore;
  /** Emits `throttled` with the key, scope and client address when a request is refused. */
  events?: AuthEvents;
  /**
   * What a store that cannot answer means. Default false (fail closed): the request is answered 503,
   * like every other store failure. With true the request goes through, and the failure is still
   * reported (`onStoreError`, default `console.error`).
   */
  failOpen?: boolean;
  /** Where a store failure goes when `failOpen` lets the request through. Default `console.error`. */
  onStoreError?: (error: unknown) => void;
}

/**
 * DRF's `SimpleRateThrottle`: extend it and give {@link SimpleRateThrottle.getCacheKey} to throttle
 * by your own key (an API key's id, a tenant). The key is `throttle_<scope>_<ident>`, as in DRF.
 *
 * @example
 * ```ts
 * class TenantRateThrottle extends SimpleRateThrottle<AppUser> {
 *   constructor(store: ThrottleStore) {
 *     super("tenant", "10000/day", { store });
 *   }
 *   getCacheKey(ctx: ThrottleContext<AppUser>): string | null {
 *     return ctx.user ? this.cacheKey(ctx.user.tenantId) : null;
 *   }
 * }
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/#custom-throttles
 */
export abstract class SimpleRateThrottle<User = unknown> implements Throttle<User> {
  /** The scope in the key, and in `throttled` events. */
  readonly scope: string;
  /** The requests allowed in one period. */
  readonly numRequests: number;
  /** The period, in seconds. */
  readonly duration: number;
  readonly #options: RateThrottleOptions;

  /**
   * @param scope - the key's scope (`"anon"`, `"user"`, a route's scope)
   * @param rate - such as `"100/day"`
   * @param options - `store`, `events`, `failOpen`
   * @throws TypeError for a bad rate or a missing store
   */
  constructor(scope: string, rate: string, options: RateThrottleOptions) {
    if (!options?.store) throw new TypeError(`The ${scope} throttle needs a \`store\`.`);
    [this.numRequests, this.duration] = parseRate(rate);
    this.scope = scope;
    this.#options = { ...options };
  }

  /**
   * The key to count this request under, or `null` to let it through uncounted (DRF's `get_cache_key`).
   *
   * @param ctx - the request's context
   */
  abstract getCacheKey(ctx: ThrottleContext<User>): string | null;

  /**
   * DRF's `cache_format`: `throttle_<scope>_<ident>`.
   *
   * @param ident - who is counted: a user id or a client address
   * @returns the store key
   */
  cacheKey(ident: string | null): string {
    return `throttle_${this.scope}_${ident ?? "None"}`;
  }

  /**
   * Counts the request and answers DRF's `allow_request` and `wait`.
   *
   * @param ctx - the request's context
   * @returns allowed, or refused with the seconds to wait
   */
  async allowRequest(ctx: ThrottleContext<User>): Promise<ThrottleDecision> {
    const key = this.getCacheKey(ctx);
    if (key === null) return ALLOWED;
    const now = Date.now();
    let state: ThrottleState;
    try {
      state = await this.#options.store.hit(key, this.numRequests, this.duration * 1000, now);
    } catch (error) {
      if (!this.#options.failOpen || !isStoreUnavailable(error)) throw error;
      (this.#options.onStoreError ?? console.error)(error);
      return ALLOWED;
    }
    if (state.allowed) return ALLOWED;
    this.#options.events?.emit("throttled", { key, scope: this.scope, clientIp: ctx.clientIp });
    return { allowed: false, wait: waitFor(state, this.numRequests, this.duration, now) };
  }
}

const ALLOWED: ThrottleDecision = { allowed: true };

/** DRF's `wait()`: the time left in the window, shared among the requests still available. */
export function waitFor(
  state: ThrottleState,
  numRequests: number,
  duration: number,
  now: number,
): number | null {
  const remaining = state.oldest === null ? duration : duration - (now - state.oldest) / 1000;
  const available = numRequests - state.count + 1;
  return available <= 0 ? null : remaining / available;
}

/** Options for {@link AnonRateThrottle} and {@link UserRateThrottle}. */
export interface UserRateThrottleOptions extends RateThrottleOptions {
  /** Such as `"100/day"` (DRF's `DEFAULT_THROTTLE_RATES["anon"]` or `["user"]`). */
  rate: ThrottleRate;
  /**
   * The key's scope: default `"anon"` or `"user"`. Two throttles of one class on one store need their
   * own (DRF's burst and sustained subclasses, `scope = "burst"` and `"sustained"`): under one scope
   * they would count every request twice in one key.
   */
  scope?: string;
}

/**
 * Throttles anonymous requests only, by client address (DRF's `AnonRateThrottle`, scope `anon`).
 * Without an address (a Fetch handler on a runtime portcullis cannot read it from), every anonymous
 * client shares one count, as in DRF without `REMOTE_ADDR`.
 *
 * @example
 * ```ts
 * const auth = createAuth({ schemes, required: false, throttles: [new AnonRateThrottle({ rate: "100/day", store })] });
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/#anonratethrottle
 */
export class AnonRateThrottle<User = unknown> extends SimpleRateThrottle<User> {
  /**
   * @param options - `rate`, `store`, optionally `scope`, and the options every throttle takes
   */
  constructor(options: UserRateThrottleOptions) {
    super(options?.scope ?? "anon", options?.rate, options);
  }

  /** `throttle_anon_<address>`, or null for an authenticated request. @param ctx - the context */
  getCacheKey(ctx: ThrottleContext<User>): string | null {
    return ctx.user !== null ? null : this.cacheKey(ctx.clientIp);
  }
}

/**
 * Throttles every request: by user id when authenticated, else by client address (DRF's
 * `UserRateThrottle`, scope `user`).
 *
 * @example
 * ```ts
 * app.use("/api", auth({ schemes, throttles: [new UserRateThrottle({ rate: "1000/day", store })] }));
 * ```
 * @example Burst and sustained rates, each under its own scope
 * ```ts
 * const throttles = [
 *   new UserRateThrottle({ scope: "burst", rate: "60/min", store }),
 *   new UserRateThrottle({ scope: "sustained", rate: "1000/day", store }),
 * ];
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/#userratethrottle
 */
export class UserRateThrottle<User = unknown> extends SimpleRateThrottle<User> {
  /**
   * @param options - `rate`, `store`, optionally `scope`, and the options every throttle takes
   */
  constructor(options: UserRateThrottleOptions) {
    super(options?.scope ?? "user", options?.rate, options);
  }

  /** `throttle_user_<id>`, or `throttle_user_<address>` when anonymous. @param ctx - the context */
  getCacheKey(ctx: ThrottleContext<User>): string | null {
    return this.cacheKey(ctx.userId ?? ctx.clientIp);
  }
}

/** Options for {@link ScopedRateThrottle}. */
export interface ScopedRateThrottleOptions extends RateThrottleOptions {
  /** The rate of each scope (DRF's `DEFAULT_THROTTLE_RATES`), such as `{ uploads: "20/day" }`. */
  rates: Readonly<Record<string, ThrottleRate>>;
}

/**
 * Throttles the routes that name a `throttleScope`, each scope at its own rate, by user id or else
 * client address (DRF's `ScopedRateThrottle`). A route without a scope is not counted; a route whose
 * scope has no rate is a configuration error (500), as DRF's `ImproperlyConfigured`.
 *
 * @example
 * ```ts
 * const scoped = new ScopedRateThrottle({ rates: { uploads: "20/day", contacts: "1000/day" }, store });
 * const auth = createAuth({ schemes, throttles: [scoped] });
 * app.post("/api/uploads/", auth({ throttleScope: "uploads" }), upload);
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/#scopedratethrottle
 */
export class ScopedRateThrottle<User = unknown> implements Throttle<User> {
  readonly #scopes = new Map<string, ScopeThrottle<User>>();

  /**
   * @param options - `rates`, `store`, and the options every throttle takes
   * @throws TypeError for a bad rate or a missing store
   */
  constructor(options: ScopedRateThrottleOptions) {
    for (const [scope, rate] of Object.entries(options?.rates ?? {})) {
      this.#scopes.set(scope, new ScopeThrottle<User>(scope, rate, options));
    }
  }

  /**
   * Counts the request under the route's scope, if it has one.
   *
   * @param ctx - the request's context
   * @returns allowed, or refused with the seconds to wait
   * @throws Error when the route's scope has no rate
   */
  allowRequest(ctx: ThrottleContext<User>): Promise<ThrottleDecision> {
    if (ctx.throttleScope === null) return Promise.resolve(ALLOWED);
    const throttle = this.#scopes.get(ctx.throttleScope);
    if (throttle === undefined) {
      return Promise.reject(new Error(`No default throttle rate set for '${ctx.throttleScope}' scope`));
    }
    return throttle.allowRequest(ctx);
  }
}

class ScopeThrottle<User> extends SimpleRateThrottle<User> {
  getCacheKey(ctx: ThrottleContext<User>): string | null {
    return this.cacheKey(ctx.userId ?? ctx.clientIp);
  }
}
