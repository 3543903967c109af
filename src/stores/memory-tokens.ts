/**
 * The in-memory token store.
 */
import type { TokenRecord, TokenStore, TokenTouch } from "./types.js";

/**
 * A {@link TokenStore} in a `Map`, for tests, demos and single-process apps. Records are copied in and out.
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
    if (this.#byDigest.has(record.digest))
      throw new Error("MemoryTokenStore: a token with this digest exists.");
    this.#byDigest.set(record.digest, copyToken(record));
  }

  /** {@inheritDoc TokenStore.findByDigest} */
  async findByDigest(digest: string): Promise<TokenRecord | null> {
    const record = this.#byDigest.get(digest);
    return record === undefined ? null : copyToken(record);
  }

  /** {@inheritDoc TokenStore.delete} */
  async delete(digest: string): Promise<boolean> {
    return this.#byDigest.delete(digest);
  }

  /** {@inheritDoc TokenStore.deleteForUser} */
  async deleteForUser(userId: string): Promise<number> {
    let count = 0;
    for (const [digest, record] of this.#byDigest) {
      if (record.userId === userId && this.#byDigest.delete(digest)) count++;
    }
    return count;
  }

  /** {@inheritDoc TokenStore.listForUser} */
  async listForUser(userId: string): Promise<TokenRecord[]> {
    return [...this.#byDigest.values()]
      .filter((record) => record.userId === userId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map(copyToken);
  }

  /** {@inheritDoc TokenStore.touch} */
  async touch(digest: string, changes: TokenTouch): Promise<void> {
    const record = this.#byDigest.get(digest);
    if (record === undefined) return;
    if (changes.lastUsedAt !== undefined) record.lastUsedAt = new Date(changes.lastUsedAt);
    if (changes.expiresAt !== undefined) {
      record.expiresAt = changes.expiresAt === null ? null : new Date(changes.expiresAt);
    }
  }
}

function copyToken(record: TokenRecord): TokenRecord {
  return {
    ...record,
    createdAt: new Date(record.createdAt),
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt),
    lastUsedAt: record.lastUsedAt === null ? null : new Date(record.lastUsedAt),
  };
}

// Kept with the class it serves so this block is an append; fold into the import above at will.
