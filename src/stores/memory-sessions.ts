/**
 * The in-memory session store.
 */
import type { SessionRecord, SessionStore } from "./types.js";

/**
 * A {@link SessionStore} in a `Map`, for tests, demos and single-process apps. Records are copied in
 * and out, so a caller cannot change a stored session by mutating what it got back. Expired sessions
 * stay until the manager meets them (and deletes them) or {@link MemorySessionStore.prune} runs.
 *
 * @example
 * ```ts
 * const store = new MemorySessionStore();
 * const sessions = new SessionManager({ store, users });
 * ```
 */
export class MemorySessionStore implements SessionStore {
  readonly #byDigest = new Map<string, StoredSession>();

  /** @inheritDoc */
  async create(record: SessionRecord): Promise<void> {
    if (this.#byDigest.has(record.idDigest)) {
      throw new Error("MemorySessionStore: a session with this digest exists.");
    }
    this.#byDigest.set(record.idDigest, {
      ...copyDates(record),
      data: JSON.stringify(record.data),
    });
  }

  /** @inheritDoc */
  async get(idDigest: string): Promise<SessionRecord | null> {
    const record = this.#byDigest.get(idDigest);
    if (record === undefined) return null;
    return { ...copyDates(record), data: JSON.parse(record.data) as Record<string, unknown> };
  }

  /** @inheritDoc */
  async touch(idDigest: string, expiresAt: Date): Promise<void> {
    const record = this.#byDigest.get(idDigest);
    if (record !== undefined) record.expiresAt = new Date(expiresAt);
  }

  /** @inheritDoc */
  async delete(idDigest: string): Promise<boolean> {
    return this.#byDigest.delete(idDigest);
  }

  /** @inheritDoc */
  async deleteForUser(userId: string): Promise<number> {
    let count = 0;
    for (const [digest, record] of this.#byDigest) {
      if (record.userId === userId && this.#byDigest.delete(digest)) count++;
    }
    return count;
  }

  /**
   * Deletes every session whose idle or absolute expiry has passed.
   *
   * @param now - the current time (default: now)
   * @returns how many sessions were deleted
   * @example
   * ```ts
   * setInterval(() => store.prune(), 3_600_000).unref();
   * ```
   */
  prune(now: Date = new Date()): number {
    let count = 0;
    for (const [digest, record] of this.#byDigest) {
      if (Math.min(record.expiresAt.getTime(), record.absoluteExpiresAt.getTime()) <= now.getTime()) {
        this.#byDigest.delete(digest);
        count++;
      }
    }
    return count;
  }

  /** How many sessions are stored, expired ones included. */
  get size(): number {
    return this.#byDigest.size;
  }
}

// The data is kept as JSON text, so what goes in must be JSON-serialisable, as in any shared store.
type StoredSession = Omit<SessionRecord, "data"> & { data: string };

function copyDates(record: Omit<SessionRecord, "data">): Omit<SessionRecord, "data"> {
  return {
    idDigest: record.idDigest,
    userId: record.userId,
    createdAt: new Date(record.createdAt),
    expiresAt: new Date(record.expiresAt),
    absoluteExpiresAt: new Date(record.absoluteExpiresAt),
  };
}
