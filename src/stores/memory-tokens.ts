/**
 * The in-memory token store.
 */
import type { TokenRecord, TokenStore, TokenTouch } from "./types.js";

/**
 * A {@link TokenStore} in memory, for tests, demos and single-process apps. Records are copied in and
 * out: changing a record handed out never changes the store. (Its `Date`s are shared by the readers of an
 * unchanged row; one changed in place is noticed, and the next reader gets a new one.)
 *
 * @example
 * ```ts
 * const tokens = new MemoryTokenStore();
 * const auth = new TokenAuthentication({ tokens, users });
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #byDigest = new Map<string, TokenRow>();

  /** {@inheritDoc TokenStore.save} */
  async save(record: TokenRecord): Promise<void> {
    this.#add(record);
  }

  /** {@inheritDoc TokenStore.saveWithinLimit} */
  async saveWithinLimit(record: TokenRecord, limit: number): Promise<boolean> {
    // Count and add in one synchronous step: no other call can run between them.
    const now = record.createdAt.getTime();
    let live = 0;
    for (const row of this.#byDigest.values()) {
      if (row.userId === record.userId && (row.expiresAt === null || row.expiresAt > now)) live++;
    }
    if (live >= limit) return false;
    this.#add(record);
    return true;
  }

  /** {@inheritDoc TokenStore.findByDigest} */
  async findByDigest(digest: string): Promise<TokenRecord | null> {
    const row = this.#byDigest.get(digest);
    return row === undefined ? null : toRecord(row);
  }

  /** {@inheritDoc TokenStore.delete} */
  async delete(digest: string): Promise<boolean> {
    return this.#byDigest.delete(digest);
  }

  /** {@inheritDoc TokenStore.deleteForUser} */
  async deleteForUser(userId: string): Promise<number> {
    let count = 0;
    for (const row of this.#byDigest.values()) {
      // Deleting the entry just visited is safe while iterating a Map.
      if (row.userId === userId && this.#byDigest.delete(row.digest)) count++;
    }
    return count;
  }

  /** {@inheritDoc TokenStore.listForUser} */
  async listForUser(userId: string): Promise<TokenRecord[]> {
    return [...this.#byDigest.values()]
      .filter((record) => record.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(toRecord);
  }

  /** {@inheritDoc TokenStore.touch} */
  async touch(digest: string, changes: TokenTouch): Promise<void> {
    const record = this.#byDigest.get(digest);
    if (record === undefined) return;
    if (changes.lastUsedAt !== undefined) record.lastUsedAt = changes.lastUsedAt.getTime();
    if (changes.expiresAt !== undefined) {
      record.expiresAt = changes.expiresAt === null ? null : changes.expiresAt.getTime();
    }
  }

  #add(record: TokenRecord): void {
    if (this.#byDigest.has(record.digest))
      throw new Error("MemoryTokenStore: a token with this digest exists.");
    this.#byDigest.set(record.digest, toRow(record));
  }
}

// Rows keep the times as numbers, the truth. A record handed out is a fresh object each time; its Dates
// are the row's own, built once and shared by readers while they still show the row's times (checked on
// every read, so a reader that changed one in place gets a new one next time and the row never changes).
// Building three Dates per read cost more than the rest of the lookup.
interface TokenRow {
  digest: string;
  userId: string;
  name: string | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  dates: [created: Date | null, expires: Date | null, lastUsed: Date | null];
}

function toRow(record: TokenRecord): TokenRow {
  return {
    digest: record.digest,
    userId: record.userId,
    name: record.name,
    createdAt: record.createdAt.getTime(),
    expiresAt: record.expiresAt === null ? null : record.expiresAt.getTime(),
    lastUsedAt: record.lastUsedAt === null ? null : record.lastUsedAt.getTime(),
    dates: [null, null, null],
  };
}

function toRecord(row: TokenRow): TokenRecord {
  const dates = row.dates;
  const createdAt = dateOf(dates[0], row.createdAt);
  const expiresAt = row.expiresAt === null ? null : dateOf(dates[1], row.expiresAt);
  const lastUsedAt = row.lastUsedAt === null ? null : dateOf(dates[2], row.lastUsedAt);
  dates[0] = createdAt;
  dates[1] = expiresAt;
  dates[2] = lastUsedAt;
  return { digest: row.digest, userId: row.userId, name: row.name, createdAt, expiresAt, lastUsedAt };
}

function dateOf(shown: Date | null, time: number): Date {
  return shown !== null && shown.getTime() === time ? shown : new Date(time);
}
