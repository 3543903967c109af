/**
 * Creating a user with a hashed password: Django's `create_user`.
 */
import type { AuthEvents } from "../core/events.js";
import { hashPassword, makeUnusablePassword, type PasswordOptions } from "../passwords/hash.js";
import type { UserRecord, UserStore } from "./types.js";

/** What {@link createUser} takes. */
export interface CreateUserFields<User> {
  /** The unique login name. */
  username: string;
  /** The plaintext password, hashed before it is stored; `null` stores an unusable one (Django's `set_unusable_password`). */
  password: string | null;
  /** Default true. */
  isActive?: boolean;
  /** Django's `is_staff` (passes `IsAdminUser`). Default false: `createUser` is `create_user`, not `create_superuser`. */
  isStaff?: boolean;
  /** Django's `is_superuser`. Default false. */
  isSuperuser?: boolean;
  /** The application's user object (the store may build one when it is missing). */
  user?: User;
}

/** Options for {@link createUser}. */
export interface CreateUserOptions {
  /** Emits `userCreated` with the new record. */
  events?: AuthEvents;
  /** The configured password algorithm and cost. */
  passwords?: PasswordOptions;
}

/**
 * Hashes the password, saves the user through `users.create`, and emits `userCreated`.
 *
 * @param users - a store with `create`
 * @param fields - username, password, and optionally isActive, isStaff, isSuperuser and user
 * @param options - events and password options
 * @returns the stored record
 * @throws TypeError when the store has no `create`; whatever the store throws for a duplicate username
 * @example
 * ```ts
 * const events = new AuthEvents();
 * events.on("userCreated", ({ record }) => tokenAuth.issue(record.id)); // DRF's post_save recipe
 * const record = await createUser(users, { username: "ada", password: "correct horse" }, { events });
 * ```
 * @see https://docs.djangoproject.com/en/stable/ref/contrib/auth/#django.contrib.auth.models.UserManager.create_user
 */
export async function createUser<User>(
  users: UserStore<User>,
  fields: CreateUserFields<User>,
  options: CreateUserOptions = {},
): Promise<UserRecord<User>> {
  if (typeof users.create !== "function") throw new TypeError("createUser needs a UserStore with `create`.");
  const passwordHash =
    fields.password === null
      ? makeUnusablePassword()
      : await hashPassword(fields.password, options.passwords);
  const record = await users.create({
    username: fields.username,
    passwordHash,
    ...(fields.isActive === undefined ? {} : { isActive: fields.isActive }),
    ...(fields.isStaff === undefined ? {} : { isStaff: fields.isStaff }),
    ...(fields.isSuperuser === undefined ? {} : { isSuperuser: fields.isSuperuser }),
    ...(fields.user === undefined ? {} : { user: fields.user }),
  });
  options.events?.emit("userCreated", { record });
  return record;
}
