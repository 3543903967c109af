/**
 * A small typed event hub: DRF's signals (post_save, user_logged_in, knox's token_expired) without Django.
 */
import type { TokenRecord, UserRecord } from "./records.js";

/**
 * The events and their payloads.
 *
 * @example
 * ```ts
 * const onIssued = ({ record }: AuthEventMap["tokenIssued"]) => audit("token issued", record.userId);
 * ```
 */
export interface AuthEventMap {
  /** `createUser` saved a user. */
  userCreated: {
    /** The new user. */
    record: UserRecord<unknown>;
  };
  /** An endpoint accepted a username and password. */
  loginSucceeded: {
    /** The user who logged in. */
    record: UserRecord<unknown>;
    /** The endpoint, such as `"obtainAuthToken"`. */
    via: string;
  };
  /** An endpoint refused a username and password. Never carries the password. */
  loginFailed: {
    /** The username as sent. */
    username: string;
    /** The endpoint, such as `"obtainAuthToken"`. */
    via: string;
  };
  /** A token was issued. */
  tokenIssued: {
    /** The stored record (digest only). */
    record: TokenRecord;
  };
  /** A token was revoked (logout, `revokeToken`, `revokeAllTokens`). */
  tokenRevoked: {
    /** The record as it was before deletion. */
    record: TokenRecord;
  };
  /** An expired token was presented and deleted. */
  tokenExpired: {
    /** The record as it was before deletion. */
    record: TokenRecord;
  };
  /** A throttle refused a request, or a login was refused during a lockout. */
  throttled: {
    /** The store key that was over its limit, such as `"throttle_anon_203.0.113.9"`. */
    key: string;
    /** The throttle's scope (`"anon"`, `"user"`, a route's scope, `"lockout"`). */
    scope: string;
    /** The client's address, or `null` when unknown. */
    clientIp: string | null;
  };
  /** Too many failed logins: a (username, address) pair or an address is locked for the cool-off. */
  lockedOut: {
    /** The lock's store key (a digest: usernames are not stored). */
    key: string;
    /** `"lockout_user"` for the pair, `"lockout_ip"` for the address. */
    scope: string;
    /** The client's address, or `null` when unknown. */
    clientIp: string | null;
    /** The username of the failed login that started the lock. */
    username: string;
  };
  /** A store found a setting that breaks its promises, such as a Redis without persistence. */
  storeWarning: {
    /** The store or backend, such as `"redis"`. */
    store: string;
    /** What is wrong and what to set. */
    message: string;
  };
  /** A listener threw (or its promise rejected). */
  error: {
    /** What the listener threw. */
    error: unknown;
    /** The event it was handling. */
    event: Exclude<keyof AuthEventMap, "error">;
  };
}

/** A listener for one event; it may be async. */
export type AuthEventListener<K extends keyof AuthEventMap> = (payload: AuthEventMap[K]) => unknown;

/**
 * The event hub. Built-in helpers and endpoints emit to it when given one (`{ events }`). Listeners run
 * synchronously in order; one that throws or rejects is reported through the `error` event (or, with no
 * `error` listener, `console.error`) and never breaks authentication.
 *
 * @example
 * ```ts
 * const events = new AuthEvents();
 * // DRF's post_save recipe: a token for every new user.
 * const tokenAuth = new TokenAuthentication({ tokens, users, events });
 * events.on("userCreated", async ({ record }) => {
 *   await tokenAuth.issue(record.id);
 * });
 * await createUser(users, { username: "ada", password: "correct horse" }, { events });
 * ```
 * @see https://www.django-rest-framework.org/api-guide/authentication/#generating-tokens
 */
export class AuthEvents {
  readonly #listeners = new Map<keyof AuthEventMap, Set<AuthEventListener<never>>>();

  /**
   * Adds a listener.
   *
   * @param event - the event's name
   * @param listener - called with the payload
   * @returns a function that removes the listener
   */
  on<K extends keyof AuthEventMap>(event: K, listener: AuthEventListener<K>): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener as AuthEventListener<never>);
    return () => this.off(event, listener);
  }

  /**
   * Removes a listener.
   *
   * @param event - the event's name
   * @param listener - the listener given to `on`
   */
  off<K extends keyof AuthEventMap>(event: K, listener: AuthEventListener<K>): void {
    this.#listeners.get(event)?.delete(listener as AuthEventListener<never>);
  }

  /**
   * Calls every listener of `event` with `payload`. Never throws.
   *
   * @param event - the event's name
   * @param payload - its payload
   */
  emit<K extends keyof AuthEventMap>(event: K, payload: AuthEventMap[K]): void {
    const listeners = this.#listeners.get(event);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        const result = (listener as AuthEventListener<K>)(payload);
        if (isPromiseLike(result)) result.then(undefined, (error: unknown) => this.#report(event, error));
      } catch (error) {
        this.#report(event, error);
      }
    }
  }

  #report(event: keyof AuthEventMap, error: unknown): void {
    if (event !== "error" && (this.#listeners.get("error")?.size ?? 0) > 0) {
      this.emit("error", { error, event });
    } else {
      console.error(`portcullis: a listener of "${event}" failed`, error);
    }
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
