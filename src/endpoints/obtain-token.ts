/**
 * DRF's `ObtainAuthToken` view as a Fetch handler: POST a username and password, get a token.
 */
import { type Duration, parseDuration } from "../core/duration.js";
import type { AuthEvents } from "../core/events.js";
import type { PasswordOptions } from "../passwords/hash.js";
import type { TokenStore, UserStore } from "../stores/types.js";
import type { Lockout } from "../throttling/lockout.js";
import { DEFAULT_TOKEN_PREFIX, issueToken } from "../tokens/issue.js";
import { type EndpointHandler, jsonResponse, postOnly } from "./http.js";
import { readLogin } from "./login.js";

/** Options for {@link obtainAuthToken}. */
export interface ObtainAuthTokenOptions<User = unknown> {
  /** Where the username is looked up and the password checked. */
  users: UserStore<User>;
  /** Where the new token's digest is saved. */
  tokens: TokenStore;
  /** Emits `loginSucceeded` / `loginFailed` (`via: "obtainAuthToken"`) and `tokenIssued`. */
  events?: AuthEvents;
  /** The configured password hashing (for verification, the dummy hash and upgrades at login). */
  passwords?: PasswordOptions;
  /**
   * Refuses a client's logins for a cool-off after too many failures: 429 with DRF's throttled body
   * and `Retry-After`, at the cost of a wrong password.
   */
  lockout?: Lockout;
  /** Lifetime of issued tokens: seconds or "30d", "12h"… Default: never expire, as DRF's tokens. */
  ttl?: Duration | null;
}

/**
 * DRF's `ObtainAuthToken` (`rest_framework.authtoken.views.obtain_auth_token`) as a Fetch handler.
 *
 * `POST {"username": "…", "password": "…"}` as JSON, urlencoded or multipart → 200 `{"token": "…"}`.
 * Use the token as `Authorization: Token <token>` with a `TokenAuthentication` over the same store.
 *
 * Answers, with DRF's bodies:
 * - 400 `{"non_field_errors": ["Unable to log in with provided credentials."]}` for an unknown user, a
 *   wrong password or an inactive user (the same body, and the same cost: one password hash);
 * - 400 `{"username": ["This field is required."], …}` for missing, null, blank or non-string fields;
 * - 400 / 413 / 415 for a malformed, oversized or unsupported body; 405 for a method other than POST.
 *
 * **Difference from DRF:** tokens are stored only as digests, so an existing token cannot be handed back:
 * every login issues a new token (DRF's `get_or_create` returns the user's one key). Revoke old ones with
 * `revokeToken` / `revokeAllTokens`, or give them a `ttl`.
 *
 * A store that cannot be asked (`StoreUnavailable`) is answered 503 with `Retry-After`; any other failure
 * makes the returned promise reject: let the server answer 500.
 *
 * @param options - the stores, and optionally events, password options and token lifetime
 * @returns the handler `(request: Request) => Promise<Response>`
 * @throws TypeError for a missing store; RangeError for a bad `ttl`
 * @example
 * ```ts
 * const users = new MemoryUserStore();
 * const tokens = new MemoryTokenStore();
 * const login = obtainAuthToken({ users, tokens });
 *
 * // Deno.serve / Bun.serve / a Worker's fetch:
 * Deno.serve((request) =>
 *   new URL(request.url).pathname === "/api-token-auth/" ? login(request) : app(request),
 * );
 * ```
 * @see https://www.django-rest-framework.org/api-guide/authentication/#by-exposing-an-api-endpoint
 */
export function obtainAuthToken<User>(options: ObtainAuthTokenOptions<User>): EndpointHandler {
  if (!options.users || !options.tokens) throw new TypeError("obtainAuthToken needs `users` and `tokens`.");
  const { users, tokens, events, passwords, lockout } = options;
  const ttl = options.ttl == null ? null : parseDuration(options.ttl, "ttl");
  const via = "obtainAuthToken";

  return postOnly(async (request, client) => {
    const login = await readLogin(request, client, { users, passwords, events, via, lockout });
    if (login instanceof Response) return login;
    const { token } = await issueToken(tokens, login.record.id, {
      ttl,
      name: null,
      prefix: DEFAULT_TOKEN_PREFIX,
      maxTokensPerUser: null,
      events,
    });
    events?.emit("loginSucceeded", { record: login.record, via });
    return jsonResponse(200, { token }, { "Cache-Control": "no-store" });
  });
}
