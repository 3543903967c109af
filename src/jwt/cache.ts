/**
 * The opt-in verified-token cache: signature work skipped for a token seen before, nothing else.
 * @internal
 */

interface Entry {
  /** The whole token: a hit is exactly this string, never a token that merely shares a slot. */
  token: string;
  claims: Record<string, unknown>;
  /** Some claim is an object or an array: a hit copies the claims deeply, not member by member. */
  nested: boolean;
  until: number;
  /** Hit since eviction last passed over it: it gets a second chance. */
  used: boolean;
  /** The last Authorization header (or other text) {@link VerifiedTokenCache.heldToken} found it in. */
  header: string | undefined;
}

/**
 * Verified claims, found by the whole token string (a caller can never choose what matches: fast-jwt's
 * GHSA-rp9m-7r4c-75qg came from a cache keyed by less than the token). Bounded (eviction below); an entry
 * is dropped once its `exp` (plus leeway) passes. Hits return a copy (a deep one when a claim is an object
 * or an array), and the service still checks revocation, type and expiry on every hit.
 *
 * Entries sit in slots numbered from the last five characters of the signature, and a hit compares the whole
 * token: a `Map` keyed by the token itself hashes all of its ~200 characters on every request, as much as
 * the rest of a hit costs. Only verified tokens are ever stored, so a token made to share a slot with one
 * (which needs the signing key to be anything but a miss) can only replace it, never be answered from it.
 *
 * Eviction is "second chance" (CLOCK), least recently used in effect: when full, the oldest entry goes
 * unless it was hit since eviction last passed over it; such an entry moves to the back, unmarked. A hit
 * only marks its entry, so it never reorders the map.
 *
 * It holds compact tokens only (base64url segments and dots, as every verified one is):
 * {@link heldToken} tells the Bearer reader that a header's credential is in that alphabet without scanning
 * it, and the {@link get} that follows for the same string finds its entry without comparing the token again.
 *
 * @example
 * ```ts
 * const cache = new VerifiedTokenCache(1000, 0);
 * cache.set(token, claims); // after the signature was verified
 * cache.heldToken(`Bearer ${token}`, 7); // token: exactly this token was verified
 * cache.get(token, Date.now() / 1000); // a copy of claims until exp
 * ```
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<number, Entry>();
  readonly #size: number;
  readonly #leeway: number;
  /** The token {@link heldToken} last found, and its entry: the next `get` of it skips the lookup. */
  #found: string | undefined;
  #foundEntry: Entry | undefined;

  constructor(size: number, leeway: number) {
    this.#size = size;
    this.#leeway = leeway;
  }

  /**
   * `text.slice(start)` when it is exactly a token held (expired or not: `get` answers which), else null.
   * `text` is the whole Authorization header: the entry remembers the last header that carried its token,
   * and the same header again is recognised by one comparison of two flat strings, which costs a fraction
   * of comparing the token (a slice of the header) with the entry's.
   */
  heldToken(text: string, start: number): string | null {
    const entry = this.#entries.get(slotOf(text));
    if (entry === undefined || text.length - start !== entry.token.length) return null;
    const token = text.slice(start);
    if (entry.header !== text) {
      if (entry.token !== token) return null;
      entry.header = text;
    }
    this.#found = token;
    this.#foundEntry = entry;
    return token;
  }

  get(token: string, at: number): Record<string, unknown> | undefined {
    const slot = slotOf(token);
    // The token heldToken() just found (usually the very same string) is not compared with its entry again.
    let entry = this.#foundEntry;
    if (token !== this.#found) {
      entry = this.#entries.get(slot);
      if (entry !== undefined && entry.token !== token) entry = undefined;
    }
    this.#found = this.#foundEntry = undefined;
    if (entry === undefined) return undefined;
    if (entry.until <= at) {
      this.#entries.delete(slot);
      return undefined; // past exp: verify again, which answers "Token is expired"
    }
    entry.used = true;
    // A copy, so what one request does to its claims no later request sees: deep only when it must be
    // (simplejwt's claims are strings and numbers), as a member-by-member copy costs a fraction.
    return entry.nested ? structuredClone(entry.claims) : { ...entry.claims };
  }

  set(token: string, claims: Record<string, unknown>): void {
    // Only tokens that expire are cached: `until` bounds how long a verdict is trusted. And only compact
    // ones, which heldToken() vouches for.
    if (typeof claims.exp !== "number" || !COMPACT.test(token)) return;
    this.#found = this.#foundEntry = undefined;
    const slot = slotOf(token);
    if (!this.#entries.delete(slot) && this.#entries.size >= this.#size) this.#evict();
    const until = claims.exp + this.#leeway; // the registered-claims check refuses exp <= now - leeway
    const nested = Object.values(claims).some((value) => typeof value === "object" && value !== null);
    const copy = nested ? structuredClone(claims) : { ...claims };
    this.#entries.set(slot, { token, claims: copy, nested, until, used: false, header: undefined });
  }

  // The oldest entry not hit since it was last passed over; hit ones move to the back, unmarked. Ends
  // within one pass: the iterator reaches the moved entries again, unmarked.
  #evict(): void {
    for (const [slot, entry] of this.#entries) {
      this.#entries.delete(slot);
      if (!entry.used) return;
      entry.used = false;
      this.#entries.set(slot, entry);
    }
  }
}

/** The characters of a compact JWS: base64url and the dots between segments. */
const COMPACT = /^[A-Za-z0-9_.-]+$/;

// The last five characters, 6 bits each of base64url: a small integer. Characters outside the
// alphabet, or before the start of a shorter string, still give a number.
function slotOf(token: string): number {
  let slot = 0;
  for (let i = token.length - 5; i < token.length; i++) slot = (slot << 6) | (token.charCodeAt(i) & 63);
  return slot;
}
