/**
 * The opt-in verified-token cache: signature work skipped for a token seen before, nothing else.
 * @internal
 */

interface Entry {
  /** The whole token: a hit is exactly this string, never a token that merely shares a slot. */
  token: string;
  claims: Record<string, unknown>;
  until: number;
}

/**
 * Verified claims, found by the whole token string (a caller can never choose what matches: fast-jwt's
 * GHSA-rp9m-7r4c-75qg came from a cache keyed by less than the token). Bounded, least recently used out
 * first; an entry is dropped once its `exp` (plus leeway) passes. Hits return a copy, and the service
 * still checks revocation, type and expiry on every hit.
 *
 * Entries sit in slots numbered from the last five characters of the signature, and a hit compares the whole
 * token: a `Map` keyed by the token itself hashes all of its ~200 characters on every request, as much as
 * the rest of a hit costs. Only verified tokens are ever stored, so a token made to share a slot with one
 * (which needs the signing key to be anything but a miss) can only replace it, never be answered from it.
 *
 * @example
 * ```ts
 * const cache = new VerifiedTokenCache(1000, 0);
 * cache.set(token, claims); // after the signature was verified
 * cache.get(token, Date.now() / 1000); // a copy of claims until exp
 * ```
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<number, Entry>();
  readonly #size: number;
  readonly #leeway: number;

  constructor(size: number, leeway: number) {
    this.#size = size;
    this.#leeway = leeway;
  }

  get(token: string, at: number): Record<string, unknown> | undefined {
    const slot = slotOf(token);
    const entry = this.#entries.get(slot);
    if (entry === undefined || entry.token !== token) return undefined;
    this.#entries.delete(slot);
    if (entry.until <= at) return undefined; // past exp: verify again, which answers "Token is expired"
    this.#entries.set(slot, entry); // most recently used last
    return { ...entry.claims };
  }

  set(token: string, claims: Record<string, unknown>): void {
    // Only tokens that expire are cached: `until` bounds how long a verdict is trusted.
    if (typeof claims.exp !== "number") return;
    const slot = slotOf(token);
    if (!this.#entries.delete(slot) && this.#entries.size >= this.#size) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    const until = claims.exp + this.#leeway; // the registered-claims check refuses exp <= now - leeway
    this.#entries.set(slot, { token, claims: { ...claims }, until });
  }
}

// The last five characters, 6 bits each of base64url: a small integer. Characters outside the
// alphabet, or before the start of a shorter string, still give a number.
function slotOf(token: string): number {
  let slot = 0;
  for (let i = token.length - 5; i < token.length; i++) slot = (slot << 6) | (token.charCodeAt(i) & 63);
  return slot;
}
