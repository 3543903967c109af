/**
 * The Kysely user store.
 */
import { checkKey } from "../keys.js";
import type { DefaultUser } from "../memory-users.js";
import type { CreateUserInput, UserRecord, UserStore } from "../types.js";
import { HotQuery } from "./hot-query.js";
import {
  type AnyKysely,
  checkDb,
  count,
  type KyselyStoreOptions,
  resolveTables,
  toDate,
  toDateOrNull,
  toMillis,
} from "./tables.js";
import { guarded } from "./unavailable.js";

/**
 * A row of the users table as {@link KyselyUserStoreOptions.toUser} receives it: the portcullis columns
 * decoded (flags as booleans, times as Dates, `data` parsed from JSON), and any columns you added to
 * the table, as the driver returns them.
 *
 * @example
 * ```ts
 * const toUser = (row: KyselyUserRow) => ({ id: row.id, email: row.email as string, joined: row.created_at });
 * ```
 */
export interface KyselyUserRow {
  /** The primary key. */
  id: string;
  /** The unique login name. */
  username: string;
  /** The Django-encoded password hash, or `null`. */
  password_hash: string | null;
  /** Django's `is_active`. */
  is_active: boolean;
  /** Django's `is_staff`. */
  is_staff: boolean;
  /** Django's `is_superuser`. */
  is_superuser: boolean;
  /** Django's `last_login`. */
  last_login: Date | null;
  /** When the user was created (Django's `date_joined`). */
  created_at: Date;
  /** The `data` column parsed: the user object stored at `create`. */
  data: unknown;
  /** Columns of your own. */
  [column: string]: unknown;
}

/**
 * Options for {@link KyselyUserStore}.
 *
 * @example
 * ```ts
 * const users = new KyselyUserStore<AppUser>({
 *   db,
 *   toUser: (row) => ({ id: row.id, username: row.username, email: row.email as string }),
 *   toRow: (user) => ({ email: user.email }),
 * });
 * ```
 */
export interface KyselyUserStoreOptions<User> extends KyselyStoreOptions {
  /**
   * Builds the user object (`record.user`, what `result.user` becomes) from a row, like Lucia's
   * `getUserAttributes`. Default: the JSON stored in the `data` column at `create`.
   */
  toUser?: (row: KyselyUserRow) => User;
  /**
   * Values for columns of your own (added by your migration) at `create`, from the input's user object.
   * Default: none.
   */
  toRow?: (user: User | undefined, input: CreateUserInput<User>) => Record<string, unknown>;
  /** Makes the id of a new user. Default: `crypto.randomUUID()`. */
  generateId?: () => string;
}

const STORE = "users";

/** What a record is built from when there is no `toUser`. */
const RECORD_COLUMNS = [
  "id",
  "username",
  "password_hash",
  "is_active",
  "is_staff",
  "is_superuser",
  "last_login",
  "data",
] as const;

/**
 * A {@link UserStore} over a SQL table through Kysely, on SQLite or PostgreSQL. Ids are strings (random
 * UUIDs unless `generateId` says otherwise); usernames are compared exactly, case included (Django's
 * `USERNAME_FIELD`); the user object is kept as JSON text in the `data` column, or built by `toUser`
 * from columns of your own. Create the table with {@link migrateToLatest}.
 *
 * A store that cannot reach its database throws `StoreUnavailable` (the adapters answer 503);
 * a duplicate username throws the driver's unique-constraint error unchanged.
 *
 * @example
 * ```ts
 * import { createUser, BasicAuthentication } from "portcullis";
 * import { KyselyUserStore, migrateToLatest } from "portcullis/kysely";
 *
 * await migrateToLatest(db);
 * const users = new KyselyUserStore({ db });
 * await createUser(users, { username: "ada", password: "correct horse" });
 * const basic = new BasicAuthentication({ users });
 * ```
 */
export class KyselyUserStore<User = DefaultUser> implements UserStore<User> {
  readonly #db: AnyKysely;
  readonly #table: string;
  readonly #toUser: ((row: KyselyUserRow) => User) | undefined;
  readonly #toRow: KyselyUserStoreOptions<User>["toRow"];
  readonly #generateId: () => string;
  readonly #byId: HotQuery;
  readonly #byUsername: HotQuery;

  /**
   * @param options - the Kysely instance, table names, and optionally `toUser`, `toRow`, `generateId`
   */
  constructor(options: KyselyUserStoreOptions<User>) {
    this.#db = checkDb(options, "KyselyUserStore");
    this.#table = resolveTables(options.tables).users;
    this.#toUser = options.toUser;
    this.#toRow = options.toRow;
    this.#generateId = options.generateId ?? (() => crypto.randomUUID());
    // Without toUser, the columns a record is built from, by name;
    // a toUser may read the table's own columns too, so it gets them all.
    const by = (column: "id" | "username") => {
      const from = this.#db.selectFrom(this.#table);
      return options.toUser === undefined
        ? from.select(RECORD_COLUMNS).where(column, "=", "")
        : from.selectAll().where(column, "=", "");
    };
    this.#byId = new HotQuery(STORE, this.#db, by("id"));
    this.#byUsername = new HotQuery(STORE, this.#db, by("username"));
  }

  /**
   * Creates a user. Without `user`, the user object is `{ id, username }` (as `MemoryUserStore`).
   *
   * @param input - username, password hash, and optionally `isActive`, `isStaff`, `isSuperuser` and `user`
   * @returns the stored record
   * @throws the driver's unique-constraint error when the username is taken
   */
  async create(input: CreateUserInput<User>): Promise<UserRecord<User>> {
    checkKey(input.username, "KyselyUserStore: username");
    const id = this.#generateId();
    checkKey(id, "KyselyUserStore: generateId()");
    const user = input.user ?? ({ id, username: input.username } as User);
    const extra = this.#toRow?.(input.user, input) ?? {};
    const row = await guarded(STORE, () =>
      this.#db
        .insertInto(this.#table)
        .values({
          ...extra,
          id,
          username: input.username,
          password_hash: input.passwordHash,
          is_active: input.isActive === false ? 0 : 1,
          is_staff: input.isStaff === true ? 1 : 0,
          is_superuser: input.isSuperuser === true ? 1 : 0,
          last_login: null,
          created_at: Date.now(),
          data: JSON.stringify(user),
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return this.#record(row);
  }

  /** @inheritDoc */
  findByUsername(username: string): Promise<UserRecord<User> | null> {
    return this.#byUsername.first([username], this.#recordOrNull);
  }

  /** @inheritDoc */
  findById(id: string): Promise<UserRecord<User> | null> {
    return this.#byId.first([id], this.#recordOrNull);
  }

  /**
   * @inheritDoc
   *
   * @throws Error when no user has this id
   */
  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.#update(id, { password_hash: passwordHash });
  }

  /**
   * @inheritDoc
   *
   * @throws Error when no user has this id
   */
  async updateLastLogin(id: string, at: Date): Promise<void> {
    await this.#update(id, { last_login: toMillis(at, "KyselyUserStore: at") });
  }

  async #update(id: string, values: Record<string, unknown>): Promise<void> {
    const result = await guarded(STORE, () =>
      this.#db.updateTable(this.#table).set(values).where("id", "=", id).executeTakeFirst(),
    );
    if (count(result.numUpdatedRows) === 0) throw new Error(`KyselyUserStore: no user with id "${id}".`);
  }

  readonly #recordOrNull = (stored: Record<string, unknown> | undefined): UserRecord<User> | null =>
    stored === undefined ? null : this.#record(stored);

  #record(stored: Record<string, unknown>): UserRecord<User> {
    const data: unknown = typeof stored.data === "string" ? JSON.parse(stored.data) : stored.data;
    const record: UserRecord<User> = {
      id: String(stored.id),
      username: stored.username as string,
      passwordHash: (stored.password_hash as string | null) ?? null,
      isActive: Number(stored.is_active) !== 0,
      isStaff: Number(stored.is_staff) === 1,
      isSuperuser: Number(stored.is_superuser) === 1,
      lastLogin: toDateOrNull(stored.last_login),
      user: data as User,
    };
    if (this.#toUser === undefined) return record;
    record.user = this.#toUser({
      ...stored,
      id: record.id,
      username: record.username,
      password_hash: record.passwordHash,
      is_active: record.isActive,
      is_staff: record.isStaff!,
      is_superuser: record.isSuperuser!,
      last_login: toDateOrNull(stored.last_login),
      created_at: toDate(stored.created_at),
      data,
    });
    return record;
  }
}
