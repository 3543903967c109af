/**
 * Issuing and revoking opaque tokens (knox's AuthToken, DRF's drf_create_token).
 */
import { randomBytes } from "../core/crypto.js";
import { tokenDigest } from "../core/digest.js";
import type { Duration } from "../core/duration.js";
import { encodeBase64Url } from "../core/encoding.js";
import { PermissionDenied } from "../core/errors.js";
import type { AuthEvents } from "../core/events.js";
import type { TokenRecord, TokenStore } from "../stores/types.js";

/** The default token prefix: lets secret scanners recognise a leaked portcullis token. */
export const DEFAULT_TOKEN_PREFIX = "pct_";

const PREFIX = /^[A-Za-z0-9_-]{0,16}$/;

/**
 * Checks a token prefix: up to 16 characters of [A-Za-z0-9_-], so tokens stay in the header alphabet.
 * @internal
 */
export function checkTokenPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new RangeError("prefix must be up to 16 characters of [A-Za-z0-9_-].");
  return prefix;
}

/** Options for one token from `TokenAuthentication.issue`; omitted ones come from the scheme. */
export interface IssueTokenOptions {
  /** Lifetime: seconds or a duration string ("30d", "12h"); `null` for a token that never expires. */
  ttl?: Duration | null;
  /** A label, such as the device. Default `null`. */
  name?: string | null;
  /** Up to 16 characters of [A-Za-z0-9_-] before the random part. */
  prefix?: string;
}

/** What `TokenAuthentication.issue` returns. */
export interface IssuedToken {
  /** The plaintext token. Shown to the user once; it is stored nowhere. */
  token: string;
  /** The stored record (digest only). */
  record: TokenRecord;
}

/** Everything one issue needs, settled by the caller (the scheme or a login view). @internal */
export interface TokenIssueSettings {
  /** Lifetime in seconds, or `null` for none. */
  ttl: number | null;
  name: string | null;
  /** Already checked with {@link checkTokenPrefix}. */
  prefix: string;
  /** A positive integer, or `null` for no limit. */
  maxTokensPerUser: number | null;
  events: AuthEvents | undefined;
}

/**
 * Checks a per-user token limit (knox's TOKEN_LIMIT_PER_USER): a positive integer, or `null` for none.
 * @internal
 */
export function checkTokenLimit(limit: number | null | undefined): number | null {
  if (limit == null) return null;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError("maxTokensPerUser must be a positive integer or null.");
  }
  return limit;
}

/**
 * Issues a token: the prefix and 32 random bytes in base64url (256 bits from `crypto.getRandomValues`).
 * Only its SHA-256 digest is stored. Not public: applications issue through `TokenAuthentication.issue`,
 * so a token always carries the settings of the scheme that will read it.
 * @throws PermissionDenied (403, `token_limit_exceeded`) over the limit
 * @internal
 */
export async function issueToken(
  tokens: TokenStore,
  userId: string,
  settings: TokenIssueSettings,
): Promise<IssuedToken> {
  const now = Date.now();
  const token = `${settings.prefix}${encodeBase64Url(randomBytes(32))}`;
  const record: TokenRecord = {
    digest: await tokenDigest(token),
    userId,
    name: settings.name,
    createdAt: new Date(now),
    expiresAt: settings.ttl === null ? null : new Date(now + settings.ttl * 1000),
    lastUsedAt: null,
  };
  const limit = settings.maxTokensPerUser;
  if (limit === null) await tokens.save(record);
  else if (!(await saveWithinLimit(tokens, record, limit))) {
    throw new PermissionDenied("Maximum amount of tokens allowed per user exceeded.", "token_limit_exceeded");
  }
  settings.events?.emit("tokenIssued", { record });
  return { token, record };
}

// A count then a save is a race (12 of 20 concurrent logins got a token with a limit of 1): the store's
// atomic saveWithinLimit decides; a store without it is serialised per user, which holds in one process.
const pending = new WeakMap<TokenStore, Map<string, Promise<unknown>>>();

function saveWithinLimit(tokens: TokenStore, record: TokenRecord, limit: number): Promise<boolean> {
  if (tokens.saveWithinLimit) return tokens.saveWithinLimit(record, limit);
  const queue = pending.get(tokens) ?? new Map<string, Promise<unknown>>();
  pending.set(tokens, queue);
  const previous = queue.get(record.userId) ?? Promise.resolve();
  const next = previous.then(async () => {
    const now = record.createdAt.getTime();
    const live = (await tokens.listForUser(record.userId)).filter(
      (t) => t.expiresAt === null || t.expiresAt.getTime() > now,
    );
    if (live.length >= limit) return false;
    await tokens.save(record);
    return true;
  });
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queue.set(record.userId, settled);
  void settled.then(() => {
    if (queue.get(record.userId) === settled) queue.delete(record.userId);
  });
  return next;
}

/**
 * Revokes one token, by its plaintext: it stops working on the very next request.
 *
 * @param tokens - the token store
 * @param token - the plaintext token
 * @param options - `events` to emit `tokenRevoked`
 * @returns true when the token existed
 * @example
 * ```ts
 * await revokeToken(tokens, presentedToken, { events });
 * ```
 */
export async function revokeToken(
  tokens: TokenStore,
  token: string,
  options: { events?: AuthEvents } = {},
): Promise<boolean> {
  const digest = await tokenDigest(token);
  const record = options.events ? await tokens.findByDigest(digest) : null;
  const deleted = await tokens.delete(digest);
  if (deleted && record) options.events?.emit("tokenRevoked", { record });
  return deleted;
}

/**
 * Revokes every token of a user (knox's logoutall; call it when a password changes or a user is disabled).
 *
 * @param tokens - the token store
 * @param userId - the owner's `UserRecord.id`
 * @param options - `events` to emit `tokenRevoked` for each
 * @returns how many tokens were revoked
 * @example
 * ```ts
 * await users.setPasswordHash(user.id, await hashPassword(newPassword));
 * await revokeAllTokens(tokens, user.id);
 * ```
 */
export async function revokeAllTokens(
  tokens: TokenStore,
  userId: string,
  options: { events?: AuthEvents } = {},
): Promise<number> {
  const records = options.events ? await tokens.listForUser(userId) : [];
  const count = await tokens.deleteForUser(userId);
  for (const record of records) options.events?.emit("tokenRevoked", { record });
  return count;
}
