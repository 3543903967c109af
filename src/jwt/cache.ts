/**
 * The opt-in verified-token cache: signature work skipped for a token seen before, nothing else.
 * @internal
 */

/**
 * Verified claims by the whole token string (a caller can never choose the key: fast-jwt's
 * GHSA-rp9m-7r4c-75qg came from a cache keyed by less than the token). Bounded, least recently used out
 * first; an entry is dropped once its `exp` (plus leeway) passes. Hits return a copy, and the service
 * still checks revocation, type and expiry on every hit.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, { claims: Record<string, unknown>; until: number }>();
  readonly #size: number;
  readonly #leeway: number;

  constructor(size: number, leeway: number) {
    this.#size = size;
    this.#leeway = leeway;
  }

  get(token: string, at: number): Record<string, unknown> | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (entry.until <= at) return undefined; // past exp: verify again, which answers "Token is expired"
    this.#entries.set(token, entry); // most recently used last
    return { ...entry.claims };
  }

  set(token: string, claims: Record<string, unknown>): void {
    // Only tokens that expire are cached: `until` bounds how long a verdict is trusted.
    if (typeof claims.exp !== "number") return;
    if (this.#entries.size >= this.#size) this.#entries.delete(this.#entries.keys().next().value!);
    const until = claims.exp + this.#leeway; // the registered-claims check refuses exp <= now - leeway
    this.#entries.set(token, { claims: { ...claims }, until });
  }
}
