/**
 * The in-memory user store.
 */
import type { CreateUserInput, UserRecord, UserStore } from "./types.js";

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
 * A {@link UserStore} in a `Map`, for tests and demos. Records are copied in and out (one level: changing
 * a returned record's `username` or `passwordHash` never changes the store), but a record's `user` is the
 * application's own object, handed back as it is and never copied (it may be a class instance): changing
 * it changes the user the store holds. Ids are `"1"`, `"2"`, … like Django's auto primary keys.
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
   * @param input - username, password hash, and optionally `isActive`, `isStaff`, `isSuperuser` and `user`
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
      isStaff: input.isStaff ?? false,
      isSuperuser: input.isSuperuser ?? false,
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

  /** {@inheritDoc UserStore.updateLastLogin} */
  async updateLastLogin(id: string, at: Date): Promise<void> {
    const record = this.#byId.get(id);
    if (record === undefined) throw new Error(`MemoryUserStore: no user with id "${id}".`);
    record.lastLogin = new Date(at);
  }

  #copy(id: string): UserRecord<User> | null {
    const record = this.#byId.get(id);
    return record === undefined ? null : { ...record };
  }
}
