/**
 * The in-memory token store.
 */
import type { TokenRecord, TokenStore, TokenTouch } from "./types.js";

/**
 * A {@link TokenStore} in memory, for tests, demos and single-process apps. Records are copied in and
 * out: changing a record handed out never changes the store.
 *
 * @example
 * ```ts
 * const tokens = new MemoryTokenStore();
 * const auth = new TokenAuthentication({ tokens, users });
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #byDigest = new Map<string, TokenRecord>();

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
      if (row.userId === record.userId && (row.expiresAt === null || row.expiresAt.getTime() > now)) live++;
    }
    if (live >= limit) return false;
    this.#add(record);
    return true;
  }

  /** {@inheritDoc TokenStore.findByDigest} */
  async findByDigest(digest: string): Promise<TokenRecord | null> {
    const row = this.#byDigest.get(digest);
    return row === undefined ? null : copyOf(row);
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
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map(copyOf);
  }

  /** {@inheritDoc TokenStore.touch} */
  async touch(digest: string, changes: TokenTouch): Promise<void> {
    const record = this.#byDigest.get(digest);
    if (record === undefined) return;
    if (changes.lastUsedAt !== undefined) record.lastUsedAt = new Date(changes.lastUsedAt);
    if (changes.expiresAt !== undefined) record.expiresAt = dateOf(changes.expiresAt);
  }

  #add(record: TokenRecord): void {
    if (this.#byDigest.has(record.digest))
      throw new Error("MemoryTokenStore: a token with this digest exists.");
    this.#byDigest.set(record.digest, copyOf(record));
  }
}

function copyOf(record: TokenRecord): TokenRecord {
  return {
    digest: record.digest,
    userId: record.userId,
    name: record.name,
    createdAt: new Date(record.createdAt),
    expiresAt: dateOf(record.expiresAt),
    lastUsedAt: dateOf(record.lastUsedAt),
  };
}

function dateOf(date: Date | null): Date | null {
  return date === null ? null : new Date(date);
}
