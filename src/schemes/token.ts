/**
 * Opaque token authentication: DRF's `TokenAuthentication` with knox's hashed, expiring, per-device tokens.
 */
import { readAuthorization, usualAuthorization } from "../core/authorization.js";
import { tokenDigest } from "../core/digest.js";
import { type Duration, parseDuration } from "../core/duration.js";
import { AuthenticationFailed } from "../core/errors.js";
import type { AuthEvents } from "../core/events.js";
import {
  type Authenticated,
  type AuthRequest,
  type BaseAuthentication,
  recordIdentity,
} from "../core/scheme.js";
import type { TokenRecord, TokenStore, TokenTouch, UserStore } from "../stores/types.js";
import {
  checkTokenLimit,
  checkTokenPrefix,
  DEFAULT_TOKEN_PREFIX,
  type IssuedToken,
  type IssueTokenOptions,
  issueToken,
} from "../tokens/issue.js";

/** Options for {@link TokenAuthentication}. */
export interface TokenAuthenticationOptions<User> {
  /** Where tokens are found by digest. */
  tokens: TokenStore;
  /** Where the token's owner is found by id. */
  users: UserStore<User>;
  /** The Authorization keyword, or several (`["Token", "Bearer"]`); case-insensitive. Default `"Token"`. */
  keyword?: string | readonly string[];
  /** The scheme's name in results; default `"token"`. */
  name?: string;
  /**
   * Lifetime of tokens from {@link TokenAuthentication.issue} (knox's TOKEN_TTL), and of each auto-refresh:
   * seconds or "30d", "12h"… Default: no expiry.
   */
  ttl?: Duration | null;
  /**
   * Prefix of tokens from {@link TokenAuthentication.issue} (knox's TOKEN_PREFIX): up to 16 characters of
   * [A-Za-z0-9_-], so secret scanners can recognise a leaked token. Default `"pct_"`.
   */
  prefix?: string;
  /** Sliding expiry (knox's AUTO_REFRESH): each use moves `expiresAt` to now + `ttl`. Default false. */
  autoRefresh?: boolean;
  /** With `autoRefresh`, never past `createdAt` + `maxTtl` (knox's AUTO_REFRESH_MAX_TTL). Default: no cap. */
  maxTtl?: Duration | null;
  /** With `autoRefresh`, write a new expiry only when it moves by more than this. Default 60 seconds. */
  minRefreshInterval?: Duration;
  /**
   * Refuse {@link TokenAuthentication.issue} (403, `token_limit_exceeded`) past this many unexpired tokens
   * per user (knox's TOKEN_LIMIT_PER_USER). Holds under concurrency: the count and the save are one atomic
   * `TokenStore.saveWithinLimit` (every built-in store has it); a store without it is serialised per user,
   * which holds within one process. Default: no limit.
   */
  maxTokensPerUser?: number | null;
  /** Emits `tokenExpired` (and, through `issue`, `tokenIssued`). */
  events?: AuthEvents;
}

/** `lastUsedAt` is written at most this often, so a busy token does not cost a store write per request. */
const LAST_USED_INTERVAL_MS = 60_000;
const TOKEN_CHARACTERS = /^[A-Za-z0-9_-]+$/;

/**
 * `Authorization: Token <token>`, with DRF's and knox's behaviour and messages:
 *
 * - another keyword, or no header: `null`; keywords are case-insensitive;
 * - "Invalid token header. No credentials provided." / "… Token string should not contain spaces." /
 *   "… Token string should not contain invalid characters." (outside the prefix and base64url alphabet);
 * - "Invalid token." for an unknown token, and for an expired one, which is deleted (`tokenExpired`);
 * - "User inactive or deleted." when the owner is missing or inactive.
 *
 * The owner's other expired tokens are deleted too (knox's clean-up, each with `tokenExpired`) when a token
 * writes its `lastUsedAt` (at most once a minute) and when an expired one is presented; a failure there is
 * logged with `console.error` and changes no answer.
 *
 * The token is looked up by its SHA-256 digest (one store read). Success:
 * `{ user: record.user, auth: TokenRecord }`: the stored record, never the plaintext.
 *
 * @example
 * ```ts
 * const tokens = new MemoryTokenStore();
 * const tokenAuth = new TokenAuthentication({ tokens, users, ttl: "30d", autoRefresh: true, maxTtl: "90d" });
 * const { token } = await tokenAuth.issue(user.id, { name: "laptop" }); // expires in 30 days, slides
 * const result = await authenticate(request, [tokenAuth]);
 * ```
 * @see https://www.django-rest-framework.org/api-guide/authentication/#tokenauthentication
 * @see https://jazzband.github.io/django-rest-knox/auth/
 */
export class TokenAuthentication<User = unknown> implements BaseAuthentication<User, TokenRecord> {
  readonly name: string;
  readonly #keywords: readonly string[];
  readonly #usualHeader: (request: AuthRequest) => string | null;
  readonly #tokens: TokenStore;
  readonly #users: UserStore<User>;
  readonly #ttl: number | null;
  readonly #prefix: string;
  readonly #autoRefresh: boolean;
  readonly #maxTtl: number | null;
  readonly #minRefreshInterval: number;
  readonly #maxTokensPerUser: number | null;
  readonly #events: AuthEvents | undefined;

  /**
   * @param options - stores, keyword(s), expiry and refresh settings, events
   * @throws TypeError for a missing store or an empty keyword; RangeError for a bad duration, prefix or
   *   `maxTokensPerUser`
   */
  constructor(options: TokenAuthenticationOptions<User>) {
    if (!options.tokens || !options.users)
      throw new TypeError("TokenAuthentication needs `tokens` and `users`.");
    const keywords =
      typeof options.keyword === "string" ? [options.keyword] : [...(options.keyword ?? ["Token"])];
    if (keywords.length === 0 || keywords.some((k) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k))) {
      throw new TypeError('keyword must be one or more RFC 7235 auth-scheme tokens, such as "Token".');
    }
    this.name = options.name ?? "token";
    this.#keywords = keywords;
    this.#usualHeader = usualAuthorization(keywords, "A-Za-z0-9_-");
    this.#tokens = options.tokens;
    this.#users = options.users;
    this.#ttl = options.ttl == null ? null : parseDuration(options.ttl, "ttl");
    this.#prefix = checkTokenPrefix(options.prefix ?? DEFAULT_TOKEN_PREFIX);
    this.#autoRefresh = options.autoRefresh ?? false;
    this.#maxTtl = options.maxTtl == null ? null : parseDuration(options.maxTtl, "maxTtl");
    this.#minRefreshInterval = parseDuration(options.minRefreshInterval ?? 60, "minRefreshInterval");
    this.#maxTokensPerUser = checkTokenLimit(options.maxTokensPerUser);
    this.#events = options.events;
    if (this.#autoRefresh && this.#ttl === null) throw new TypeError("autoRefresh needs a `ttl`.");
  }

  /**
   * Authenticates a token header; see the class description for every answer.
   *
   * @param request - the request
   * @returns `{ user, auth: TokenRecord }`, or `null` without token credentials
   * @throws AuthenticationFailed for malformed, unknown, expired or orphaned tokens
   */
  async authenticate(request: AuthRequest): Promise<Authenticated<User, TokenRecord> | null> {
    const token = this.#presentedToken(request);
    if (token === null) return null;
    const digest = await tokenDigest(token);
    const record = await this.#tokens.findByDigest(digest);
    // The store found the row by digest; the check only guards against a store that answers another row.
    // It need not be constant-time: the digest is a SHA-256 of what the client sent, not a secret.
    if (record === null || record.digest !== digest) throw new AuthenticationFailed("Invalid token.");
    const now = Date.now();
    if (record.expiresAt !== null && record.expiresAt.getTime() < now) {
      if (await this.#tokens.delete(digest)) this.#events?.emit("tokenExpired", { record });
      await this.#cleanup(record, now);
      throw new AuthenticationFailed("Invalid token.");
    }
    const owner = await this.#users.findById(record.userId);
    if (owner === null || !owner.isActive) throw new AuthenticationFailed("User inactive or deleted.");
    const changes = this.#touches(record, now);
    if (changes !== null) {
      await this.#tokens.touch(record.digest, changes);
      Object.assign(record, changes);
      // With the token's own write (lastUsedAt: at most once a minute), its owner's expired tokens go.
      if (changes.lastUsedAt !== undefined) await this.#cleanup(record, now);
    }
    return { user: owner.user, auth: record, ...recordIdentity(owner) };
  }

  // The token after one of the keywords, `null` without one; DRF's header errors.
  #presentedToken(request: AuthRequest): string | null {
    const usual = this.#usualHeader(request);
    if (usual !== null) return usual;
    const parsed = readAuthorization(request, this.#keywords);
    if (parsed === null) return null;
    if (parsed.credentials.length === 0)
      throw new AuthenticationFailed("Invalid token header. No credentials provided.");
    if (parsed.credentials.length > 1) {
      throw new AuthenticationFailed("Invalid token header. Token string should not contain spaces.");
    }
    const token = parsed.credentials[0]!;
    if (!TOKEN_CHARACTERS.test(token)) {
      throw new AuthenticationFailed(
        "Invalid token header. Token string should not contain invalid characters.",
      );
    }
    return token;
  }

  // knox's _cleanup_token: the owner's other expired tokens are deleted, each with `tokenExpired`. knox
  // runs it on every request, a query a database-backed store should not pay each time: here it runs when
  // a token writes its lastUsedAt anyway (at most once a minute) and when an expired token is presented.
  // It is housekeeping of other tokens: its failure never changes this request's answer, and is reported.
  async #cleanup(record: TokenRecord, now: number): Promise<void> {
    try {
      for (const other of await this.#tokens.listForUser(record.userId)) {
        const expired = other.expiresAt !== null && other.expiresAt.getTime() < now;
        if (other.digest === record.digest || !expired) continue;
        if (await this.#tokens.delete(other.digest)) this.#events?.emit("tokenExpired", { record: other });
      }
    } catch (error) {
      console.error("portcullis: TokenAuthentication could not delete a user's expired tokens", error);
    }
  }

  /**
   * The challenge for a 401: the first keyword (`Token`), as DRF and knox send it.
   *
   * @returns the `WWW-Authenticate` value
   */
  authenticateHeader(): string {
    return this.#keywords[0]!;
  }

  /**
   * Issues a token for this scheme (knox's `AuthToken.objects.create(user)`): the prefix and 32 random bytes
   * in base64url (256 bits from `crypto.getRandomValues`), of which only the SHA-256 digest is stored. It
   * carries the scheme's `ttl` and `prefix` unless `options` gives this one token its own, counts against
   * `maxTokensPerUser` and emits `tokenIssued`. This is the one way to make a token outside the login
   * endpoints, so a token always has the lifetime the scheme refreshes and caps.
   *
   * @param userId - the owner's `UserRecord.id`
   * @param options - a `name` (the device), and optionally this token's own `ttl` or `prefix`
   * @returns the plaintext token (shown once, stored nowhere) and the stored record
   * @throws PermissionDenied (403, "Maximum amount of tokens allowed per user exceeded.",
   *   `token_limit_exceeded`) over `maxTokensPerUser`; RangeError for a bad `ttl` or `prefix`
   * @example
   * ```ts
   * const tokenAuth = new TokenAuthentication({ tokens, users, ttl: "30d" });
   * const { token, record } = await tokenAuth.issue(user.id, { name: "laptop" });
   * console.log(`Authorization: Token ${token}`, record.expiresAt);
   * ```
   * @see https://jazzband.github.io/django-rest-knox/settings/
   */
  async issue(userId: string, options: IssueTokenOptions = {}): Promise<IssuedToken> {
    const { ttl } = options;
    return issueToken(this.#tokens, userId, {
      ttl: ttl === undefined ? this.#ttl : ttl === null ? null : parseDuration(ttl, "ttl"),
      name: options.name ?? null,
      prefix: options.prefix === undefined ? this.#prefix : checkTokenPrefix(options.prefix),
      maxTokensPerUser: this.#maxTokensPerUser,
      events: this.#events,
    });
  }

  // knox renew_token: slide the expiry (capped), written only past minRefreshInterval; lastUsedAt once a minute.
  #touches(record: TokenRecord, now: number): TokenTouch | null {
    let expiresAt: Date | undefined;
    if (this.#autoRefresh && record.expiresAt !== null) {
      let next = now + this.#ttl! * 1000;
      if (this.#maxTtl !== null) next = Math.min(next, record.createdAt.getTime() + this.#maxTtl * 1000);
      if (next - record.expiresAt.getTime() > this.#minRefreshInterval * 1000) expiresAt = new Date(next);
    }
    const lastUsed = record.lastUsedAt === null || now - record.lastUsedAt.getTime() >= LAST_USED_INTERVAL_MS;
    if (expiresAt === undefined) return lastUsed ? { lastUsedAt: new Date(now) } : null;
    return lastUsed ? { expiresAt, lastUsedAt: new Date(now) } : { expiresAt };
  }
}
