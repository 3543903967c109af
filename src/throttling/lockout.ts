/**
 * Lockout of password guessing (django-axes' idea): failed logins counted per (username, address)
 * and per address in a ThrottleStore; past a limit, logins are refused for a cool-off.
 */
import { randomString } from "../core/crypto.js";
import { tokenDigest } from "../core/digest.js";
import { type Duration, parseDuration } from "../core/duration.js";
import { Throttled } from "../core/errors.js";
import type { AuthEvents } from "../core/events.js";
import type { AuthRequest } from "../core/scheme.js";
import { clientIdent } from "../core/throttle.js";
import type { PasswordOptions } from "../passwords/hash.js";
import { type CredentialsCheck, checkCredentials } from "../stores/credentials.js";
import type { ThrottleState, ThrottleStore, UserStore } from "../stores/types.js";

/** Options for {@link Lockout}. */
export interface LockoutOptions {
  /** Where failures and locks are counted: Redis or Kysely when several instances serve logins. */
  store: ThrottleStore;
  /** Failures of one username from one address that start a lock. Default 5 (django-axes' default). */
  failures?: number;
  /** Failures from one address, whatever the usernames, that lock the address. Default 20. */
  ipFailures?: number;
  /** How far back failures count. Default `"15m"`. */
  window?: Duration;
  /** How long a lock lasts. Default `"15m"`. */
  coolOff?: Duration;
  /** DRF's `NUM_PROXIES` for the client's address; default 0 (the socket's address, never a header). */
  numProxies?: number;
  /** Emits `lockedOut` when a lock starts and `throttled` (scope `"lockout"`) for each refused login. */
  events?: AuthEvents;
}

/**
 * A lockout policy, given to every point that checks a password (`BasicAuthentication`,
 * `obtainAuthToken`, `tokenLogin`, the JWT obtain views, `sessionHandlers`). After `failures` wrong
 * passwords for one username from one address within `window`, or `ipFailures` from one address, a
 * login from there is refused for `coolOff`: 429 with DRF's throttled body and `Retry-After`. A
 * refused login never checks the password, yet costs what a wrong password costs (the same user
 * lookup and hash), so the answer tells nothing about the password. A success clears the pair's count.
 * A pair's attempts are counted as they start, so parallel guesses get no more than `failures` checks.
 *
 * Locks key on the address as well as the username, so a stranger cannot lock a user out from
 * everywhere by failing on purpose (OWASP's "malicious account lockout").
 *
 * @example
 * ```ts
 * const lockout = new Lockout({ store: new MemoryThrottleStore(), failures: 5, coolOff: "15m" });
 * const basic = new BasicAuthentication({ users, lockout });
 * const login = obtainAuthToken({ users, tokens, lockout });
 * ```
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Authentication_Cheat_Sheet.html#account-lockout
 */
export class Lockout {
  readonly #store: ThrottleStore;
  readonly #failures: number;
  readonly #ipFailures: number;
  readonly #windowMs: number;
  readonly #coolOffMs: number;
  readonly #numProxies: number;
  readonly #events: AuthEvents | undefined;

  /**
   * @param options - `store`, and optionally `failures`, `ipFailures`, `window`, `coolOff`, `numProxies`, `events`
   * @throws TypeError without a store or with a count that is not a whole number of 1 or more
   */
  constructor(options: LockoutOptions) {
    if (!options?.store) throw new TypeError("Lockout needs a `store`.");
    this.#store = options.store;
    this.#failures = count(options.failures ?? 5, "failures");
    this.#ipFailures = count(options.ipFailures ?? 20, "ipFailures");
    this.#windowMs = parseDuration(options.window ?? "15m", "window") * 1000;
    this.#coolOffMs = parseDuration(options.coolOff ?? "15m", "coolOff") * 1000;
    const proxies = options.numProxies ?? 0;
    if (!Number.isSafeInteger(proxies) || proxies < 0) {
      throw new TypeError("`numProxies` must be a whole number, 0 or more.");
    }
    this.#numProxies = proxies;
    this.#events = options.events;
  }

  /**
   * Checks a username and password as Django's ModelBackend does, under the lockout: a locked
   * pair or address answers `locked` after the work of a wrong password, without checking this one.
   *
   * @internal Used by the login points; applications give the `Lockout` to them instead.
   */
  async check<User>(
    request: AuthRequest,
    users: UserStore<User>,
    username: string,
    password: string,
    passwords?: PasswordOptions,
  ): Promise<CredentialsCheck<User> | { outcome: "locked"; error: Throttled }> {
    const ip = clientIdent(request, this.#numProxies);
    const keys = await this.#keys(username, ip);
    const now = Date.now();
    const locked = await this.#lockedFor(keys, now);
    // The attempt is counted before the password is checked, in one atomic hit, so parallel guesses
    // cannot all be checked before the first failure is recorded; past the limit a lock is imminent.
    const attempt =
      locked === null ? await this.#store.hit(keys.pair, this.#failures, this.#windowMs, now) : null;
    if (attempt === null || !attempt.allowed) {
      const wait = locked ?? { key: keys.pairLock, seconds: this.#coolOffMs / 1000 };
      // The cost of a wrong password: the same lookup and hash (a random password never matches).
      await checkCredentials(users, username, randomString(40), passwords);
      this.#events?.emit("throttled", { key: wait.key, scope: "lockout", clientIp: ip });
      return { outcome: "locked", error: new Throttled(wait.seconds) };
    }
    const check = await checkCredentials(users, username, password, passwords);
    if (check.outcome === "valid") await this.#store.reset(keys.pair);
    else await this.#failed(keys, attempt, username, ip, now);
    return check;
  }

  async #keys(username: string, ip: string | null): Promise<Keys> {
    // Digests keep usernames out of the store and bound the key's length.
    const pair = await tokenDigest(JSON.stringify([ip, username]));
    const address = await tokenDigest(JSON.stringify([ip]));
    return {
      pair: `lockout_user_${pair}`,
      pairLock: `lockout_lock_user_${pair}`,
      ip: `lockout_ip_${address}`,
      ipLock: `lockout_lock_ip_${address}`,
    };
  }

  async #lockedFor(keys: Keys, now: number): Promise<{ key: string; seconds: number } | null> {
    let longest: { key: string; seconds: number } | null = null;
    for (const key of [keys.pairLock, keys.ipLock]) {
      const lock = await this.#store.peek(key, 1, this.#coolOffMs, now);
      if (lock.allowed || lock.oldest === null) continue;
      const seconds = (this.#coolOffMs - (now - lock.oldest)) / 1000;
      if (longest === null || seconds > longest.seconds) longest = { key, seconds };
    }
    return longest;
  }

  async #failed(
    keys: Keys,
    attempt: ThrottleState,
    username: string,
    ip: string | null,
    now: number,
  ): Promise<void> {
    if (attempt.count >= this.#failures)
      await this.#lock(keys.pair, keys.pairLock, "lockout_user", username, ip, now);
    // Without an address every client would share one count: a stranger could lock everyone out.
    if (ip === null) return;
    // The address's count takes failures only (a success must not count), so it is recorded after the check.
    const address = await this.#store.hit(keys.ip, this.#ipFailures, this.#windowMs, now);
    if (address.count >= this.#ipFailures)
      await this.#lock(keys.ip, keys.ipLock, "lockout_ip", username, ip, now);
  }

  async #lock(
    key: string,
    lock: string,
    scope: string,
    username: string,
    ip: string | null,
    now: number,
  ): Promise<void> {
    await this.#store.hit(lock, 1, this.#coolOffMs, now);
    await this.#store.reset(key); // the count starts again after the cool-off
    this.#events?.emit("lockedOut", { key: lock, scope, clientIp: ip, username });
  }
}

interface Keys {
  pair: string;
  pairLock: string;
  ip: string;
  ipLock: string;
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`\`${name}\` must be a whole number, 1 or more.`);
  return value;
}
