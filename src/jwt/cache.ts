/**
 * The opt-in verified-token cache: signature work skipped for a token seen before, nothing else.
 * @internal
 */

interface Entry {
  claims: Record<string, unknown>;
  /** Some claim is an object or an array: a hit copies the claims deeply, not member by member. */
  nested: boolean;
  until: number;
  /** Hit since eviction last passed over it: it gets a second chance. */
  used: boolean;
}

/**
 * Verified claims, found by the whole token string (a caller can never choose what matches: fast-jwt's
 * GHSA-rp9m-7r4c-75qg came from a cache keyed by less than the token). Bounded; an entry is dropped once
 * its `exp` (plus leeway) passes. Hits return a copy (a deep one when a claim is an object or an array),
 * and the service still checks revocation, type and expiry on every hit.
 *
 * Eviction is "second chance" (CLOCK), least recently used in effect: when full, the oldest entry goes
 * unless it was hit since eviction last passed over it; such an entry moves to the back, unmarked. A hit
 * only marks its entry, so it never reorders the map.
 *
 * @example
 * ```ts
 * const cache = new VerifiedTokenCache(1000, 0);
 * cache.set(token, claims); // after the signature was verified
 * cache.get(token, Date.now() / 1000); // a copy of claims until exp
 * ```
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #size: number;
  readonly #leeway: number;

  constructor(size: number, leeway: number) {
    this.#size = size;
    this.#leeway = leeway;
  }

  get(token: string, at: number): Record<string, unknown> | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.until <= at) {
      this.#entries.delete(token);
      return undefined; // past exp: verify again, which answers "Token is expired"
    }
    entry.used = true;
    // A copy, so what one request does to its claims no later request sees: deep only when it must be
    // (simplejwt's claims are strings and numbers).
    return entry.nested ? structuredClone(entry.claims) : { ...entry.claims };
  }

  set(token: string, claims: Record<string, unknown>): void {
    // Only tokens that expire are cached: `until` bounds how long a verdict is trusted.
    if (typeof claims.exp !== "number") return;
    if (!this.#entries.delete(token) && this.#entries.size >= this.#size) this.#evict();
    const until = claims.exp + this.#leeway; // the registered-claims check refuses exp <= now - leeway
    const nested = Object.values(claims).some((value) => typeof value === "object" && value !== null);
    const copy = nested ? structuredClone(claims) : { ...claims };
    this.#entries.set(token, { claims: copy, nested, until, used: false });
  }

  // The oldest entry not hit since it was last passed over; hit ones move to the back, unmarked. Ends
  // within one pass: the iterator reaches the moved entries again, unmarked.
  #evict(): void {
    for (const [token, entry] of this.#entries) {
      this.#entries.delete(token);
      if (!entry.used) return;
      entry.used = false;
      this.#entries.set(token, entry);
    }
  }
}
