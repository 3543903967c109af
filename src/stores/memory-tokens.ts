/**
 * The in-memory token store.
 */
import { defineSyncTwin } from "../core/sync-path.js";
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
  readonly #byDigest = new Map<string, TokenRow>();

  /** {@inheritDoc TokenStore.save} */
  async save(record: TokenRecord): Promise<void> {
    if (this.#byDigest.has(record.digest))
      throw new Error("MemoryTokenStore: a token with this digest exists.");
    this.#byDigest.set(record.digest, toRow(record));
  }

  /** {@inheritDoc TokenStore.findByDigest} */
  async findByDigest(digest: string): Promise<TokenRecord | null> {
    return this.#findByDigest(digest);
  }

  /** {@inheritDoc TokenStore.delete} */
  async delete(digest: string): Promise<boolean> {
    return this.#byDigest.delete(digest);
  }

  #findByDigest(digest: string): TokenRecord | null {
    const row = this.#byDigest.get(digest);
    return row === undefined ? null : toRecord(row);
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
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(toRecord);
  }

  /** {@inheritDoc TokenStore.touch} */
  async touch(digest: string, changes: TokenTouch): Promise<void> {
    this.#touch(digest, changes);
  }

  #touch(digest: string, changes: TokenTouch): void {
    const record = this.#byDigest.get(digest);
    if (record === undefined) return;
    if (changes.lastUsedAt !== undefined) record.lastUsedAt = changes.lastUsedAt.getTime();
    if (changes.expiresAt !== undefined) {
      record.expiresAt = changes.expiresAt === null ? null : changes.expiresAt.getTime();
    }
  }

  // TokenAuthentication calls these twins and skips a microtask per step (../core/sync-path.ts).
  static {
    const prototype = MemoryTokenStore.prototype;
    defineSyncTwin(prototype.findByDigest, function (this: MemoryTokenStore, digest) {
      return this.#findByDigest(digest);
    });
    defineSyncTwin(prototype.delete, function (this: MemoryTokenStore, digest) {
      return this.#byDigest.delete(digest);
    });
    defineSyncTwin(prototype.touch, function (this: MemoryTokenStore, digest, changes) {
      this.#touch(digest, changes);
    });
  }
}

// Rows keep the times as numbers: a record handed out is a fresh copy, its Dates built from them.
interface TokenRow {
  digest: string;
  userId: string;
  name: string | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

function toRow(record: TokenRecord): TokenRow {
  return {
    digest: record.digest,
    userId: record.userId,
    name: record.name,
    createdAt: record.createdAt.getTime(),
    expiresAt: record.expiresAt === null ? null : record.expiresAt.getTime(),
    lastUsedAt: record.lastUsedAt === null ? null : record.lastUsedAt.getTime(),
  };
}

function toRecord(row: TokenRow): TokenRecord {
  return {
    digest: row.digest,
    userId: row.userId,
    name: row.name,
    createdAt: new Date(row.createdAt),
    expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt),
    lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt),
  };
}
