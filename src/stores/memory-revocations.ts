/**
 * The in-memory revocation store.
 */
import { checkKey, optionalKey } from "./keys.js";
import type { OutstandingToken, RevocationStore } from "./types.js";

/** One row per jti, as a SQL table would hold it (docs/revocation.md). */
interface RevocationRow {
  userId: string | null;
  familyId: string | null;
  /** Epoch milliseconds: the latest expiry seen for this jti. */
  expiresAt: number;
  recorded: boolean;
  revoked: boolean;
  /** Epoch milliseconds of the one successful `consume`, or null while unconsumed. */
  consumedAt: number | null;
}

/**
 * A {@link RevocationStore} in `Map`s, for tests, demos and single-process apps: one row per jti, a
 * per-family and a per-user index, and a tombstone per revoked family that lives until the family's
 * latest expiry. Every operation is O(1) or O(tokens of that family or user); only `flushExpired` scans.
 * Records are copied in, so changing a recorded object never changes the store.
 *
 * Rows answer as stored until `flushExpired` removes them, expired or not: an expired revoked jti stays
 * revoked and an expired consumed jti stays consumed until the flush.
 *
 * @example
 * ```ts
 * const revocations = new MemoryRevocationStore();
 * const jwt = new JWTService({ signingKey, rotateRefreshTokens: true, revocations });
 * setInterval(() => void revocations.flushExpired(), 60 * 60 * 1000);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #rows = new Map<string, RevocationRow>();
  readonly #byFamily = new Map<string, Set<string>>();
  readonly #byUser = new Map<string, Set<string>>();
  /** Revoked families → the latest expiry seen in them (epoch ms). */
  readonly #revokedFamilies = new Map<string, number>();

  /** {@inheritDoc RevocationStore.recordOutstanding} */
  async recordOutstanding(token: OutstandingToken): Promise<void> {
    if (typeof token !== "object" || token === null) {
      throw new TypeError("MemoryRevocationStore: the token must be an OutstandingToken object.");
    }
    checkKey(token.jti, "MemoryRevocationStore: jti");
    const expiresAt = checkExpiry(token.expiresAt);
    const userId = optionalKey(token.userId, "MemoryRevocationStore: userId");
    const familyId = optionalKey(token.familyId, "MemoryRevocationStore: familyId");
    let row = this.#rows.get(token.jti);
    if (row?.recorded) return; // idempotent: the first record wins
    if (row === undefined) {
      row = { userId, familyId, expiresAt, recorded: true, revoked: false, consumedAt: null };
      this.#rows.set(token.jti, row);
    } else {
      // Revoked or consumed before it was recorded (possible when the caller records late).
      Object.assign(row, { userId, familyId, recorded: true, expiresAt: Math.max(row.expiresAt, expiresAt) });
    }
    if (userId !== null) addTo(this.#byUser, userId, token.jti);
    if (familyId !== null) {
      addTo(this.#byFamily, familyId, token.jti);
      const familyExpiry = this.#revokedFamilies.get(familyId);
      if (familyExpiry !== undefined) {
        row.revoked = true;
        this.#revokedFamilies.set(familyId, Math.max(familyExpiry, row.expiresAt));
      }
    }
  }

  /** {@inheritDoc RevocationStore.isRevoked} */
  async isRevoked(jti: string): Promise<boolean> {
    checkKey(jti, "MemoryRevocationStore: jti");
    // Family and user revocations are written onto the rows, so one lookup answers.
    return this.#rows.get(jti)?.revoked === true;
  }

  /** {@inheritDoc RevocationStore.revoke} */
  async revoke(jti: string, expiresAt: Date): Promise<boolean> {
    checkKey(jti, "MemoryRevocationStore: jti");
    const expiry = checkExpiry(expiresAt);
    const row = this.#rows.get(jti);
    if (row === undefined) {
      this.#rows.set(jti, unrecorded(expiry, { revoked: true }));
      return true;
    }
    row.expiresAt = Math.max(row.expiresAt, expiry);
    if (row.revoked) return false;
    row.revoked = true;
    return true;
  }

  /** {@inheritDoc RevocationStore.consume} */
  async consume(jti: string, expiresAt: Date): Promise<boolean> {
    checkKey(jti, "MemoryRevocationStore: jti");
    const expiry = checkExpiry(expiresAt);
    // Atomic: JS runs this check-and-set to completion with no `await` in between, so of any number of
    // concurrent callers exactly one sees the row unconsumed. Keep it free of awaits.
    const row = this.#rows.get(jti);
    if (row === undefined) {
      this.#rows.set(jti, unrecorded(expiry, { consumedAt: Date.now() }));
      return true;
    }
    if (row.revoked || row.consumedAt !== null) return false;
    row.consumedAt = Date.now();
    row.expiresAt = Math.max(row.expiresAt, expiry);
    return true;
  }

  /** {@inheritDoc RevocationStore.consumedAt} */
  async consumedAt(jti: string): Promise<Date | null> {
    checkKey(jti, "MemoryRevocationStore: jti");
    const at = this.#rows.get(jti)?.consumedAt ?? null;
    return at === null ? null : new Date(at);
  }

  /** {@inheritDoc RevocationStore.revokeFamily} */
  async revokeFamily(familyId: string): Promise<number> {
    checkKey(familyId, "MemoryRevocationStore: familyId");
    // The tombstone lasts until the family's latest expiry, and at least until now: with no known rows it
    // still revokes the tokens recorded in the family before the next flush.
    let familyExpiry = this.#revokedFamilies.get(familyId) ?? Date.now();
    const count = this.#revokeAll(this.#byFamily.get(familyId), (row) => {
      familyExpiry = Math.max(familyExpiry, row.expiresAt);
    });
    this.#revokedFamilies.set(familyId, familyExpiry);
    return count;
  }

  /** {@inheritDoc RevocationStore.revokeForUser} */
  async revokeForUser(userId: string): Promise<number> {
    checkKey(userId, "MemoryRevocationStore: userId");
    return this.#revokeAll(this.#byUser.get(userId));
  }

  /** {@inheritDoc RevocationStore.flushExpired} */
  async flushExpired(): Promise<number> {
    const now = Date.now();
    let count = 0;
    for (const [jti, row] of this.#rows) {
      if (row.expiresAt > now) continue;
      this.#rows.delete(jti);
      if (row.userId !== null) removeFrom(this.#byUser, row.userId, jti);
      if (row.familyId !== null) removeFrom(this.#byFamily, row.familyId, jti);
      count++;
    }
    for (const [familyId, expiresAt] of this.#revokedFamilies) {
      if (expiresAt <= now) this.#revokedFamilies.delete(familyId);
    }
    return count;
  }

  #revokeAll(jtis: Set<string> | undefined, visit?: (row: RevocationRow) => void): number {
    let count = 0;
    for (const jti of jtis ?? []) {
      const row = this.#rows.get(jti);
      if (row === undefined) continue;
      visit?.(row);
      if (!row.revoked) {
        row.revoked = true;
        count++;
      }
    }
    return count;
  }
}

function unrecorded(expiresAt: number, flags: { revoked?: boolean; consumedAt?: number }): RevocationRow {
  return {
    userId: null,
    familyId: null,
    expiresAt,
    recorded: false,
    revoked: flags.revoked ?? false,
    consumedAt: flags.consumedAt ?? null,
  };
}

function addTo(index: Map<string, Set<string>>, key: string, jti: string): void {
  const jtis = index.get(key);
  if (jtis === undefined) index.set(key, new Set([jti]));
  else jtis.add(jti);
}

function removeFrom(index: Map<string, Set<string>>, key: string, jti: string): void {
  const jtis = index.get(key);
  if (jtis === undefined) return;
  jtis.delete(jti);
  if (jtis.size === 0) index.delete(key);
}

function checkExpiry(expiresAt: unknown): number {
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
    throw new TypeError("MemoryRevocationStore: expiresAt must be a valid Date.");
  }
  return expiresAt.getTime();
}
