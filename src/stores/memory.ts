/**
 * In-memory stores, for tests, demos and single-process prototypes.
 */
import type { CreateUserInput, TokenRecord, TokenStore, TokenTouch, UserRecord, UserStore } from "./types.js";

/**
 * The user object {@link MemoryUserStore.create} builds when none is given.
 *
 * @example
 * ```ts
 * const user: DefaultUser = { id: "1", username: "ada" };
 * ```
 */
export interface DefaultUser {
  /** The record's id. */
  id: string;
  /** The record's username. */
  username: string;
}

/**
 * A {@link UserStore} in a `Map`, for tests and demos. Records are copied in and out, so changing a
 * returned record never changes the store. Ids are `"1"`, `"2"`, … like Django's auto primary keys.
 *
 * @example
 * ```ts
 * const users = new MemoryUserStore();
 * await users.create({ username: "ada", passwordHash: await hashPassword("correct horse") });
 * users.add({ id: "42", username: "bob", passwordHash: null, isActive: false, user: { id: "42" } });
 * ```
 */
export class MemoryUserStore<User = DefaultUser> implements UserStore<User> {
  readonly #byId = new Map<string, UserRecord<User>>();
  readonly #idByUsername = new Map<string, string>();
  #nextId = 1;

  /**
   * Adds a complete record, as a seed. Throws when the id or the username is taken.
   *
   * @param record - the record to store
   * @returns a copy of the stored record
   */
  add(record: UserRecord<User>): UserRecord<User> {
    if (this.#byId.has(record.id))
      throw new Error(`MemoryUserStore: a user with id "${record.id}" already exists.`);
    if (this.#idByUsername.has(record.username)) {
      throw new Error(`MemoryUserStore: a user with username "${record.username}" already exists.`);
    }
    const stored = { ...record };
    this.#byId.set(stored.id, stored);
    this.#idByUsername.set(stored.username, stored.id);
    return { ...stored };
  }

  /**
   * Creates a user with the next free id. Without `user`, the user object is `{ id, username }`.
   *
   * @param input - username, password hash, and optionally `isActive` and `user`
   * @returns a copy of the stored record
   */
  async create(input: CreateUserInput<User>): Promise<UserRecord<User>> {
    while (this.#byId.has(String(this.#nextId))) this.#nextId++;
    const id = String(this.#nextId);
    return this.add({
      id,
      username: input.username,
      passwordHash: input.passwordHash,
      isActive: input.isActive ?? true,
      user: input.user ?? ({ id, username: input.username } as User),
    });
  }

  /** {@inheritDoc UserStore.findByUsername} */
  async findByUsername(username: string): Promise<UserRecord<User> | null> {
    const id = this.#idByUsername.get(username);
    return id === undefined ? null : this.#copy(id);
  }

  /** {@inheritDoc UserStore.findById} */
  async findById(id: string): Promise<UserRecord<User> | null> {
    return this.#copy(id);
  }

  /** {@inheritDoc UserStore.setPasswordHash} */
  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    const record = this.#byId.get(id);
    if (record === undefined) throw new Error(`MemoryUserStore: no user with id "${id}".`);
    record.passwordHash = passwordHash;
  }

  #copy(id: string): UserRecord<User> | null {
    const record = this.#byId.get(id);
    return record === undefined ? null : { ...record };
  }
}

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
