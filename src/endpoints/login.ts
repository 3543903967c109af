/**
 * The username/password step shared by the login endpoints: DRF's `AuthTokenSerializer`.
 * @internal
 */
import type { AuthEvents } from "../core/events.js";
import type { AuthRequest } from "../core/scheme.js";
import type { PasswordOptions } from "../passwords/hash.js";
import { checkCredentials } from "../stores/credentials.js";
import type { UserRecord, UserStore } from "../stores/types.js";
import type { Lockout } from "../throttling/lockout.js";
import { type ParsedBody, parseBody } from "./body.js";
import { badRequest, type CharFieldSpec, NON_FIELD_ERRORS, validateFields } from "./fields.js";

/** The options {@link readLogin} needs. */
export interface ReadLoginOptions<User> {
  users: UserStore<User>;
  passwords: PasswordOptions | undefined;
  events: AuthEvents | undefined;
  /** The endpoint's name in `loginSucceeded` / `loginFailed` events. */
  via: string;
  /** Refuses logins after too many failures (429). */
  lockout: Lockout | undefined;
  /**
   * The answer to refused credentials. Default: DRF's 400
   * `{"non_field_errors": ["Unable to log in with provided credentials."]}`.
   */
  refused?: () => Response;
}

/** A login whose credentials were accepted, with the values of the endpoint's extra fields. */
export interface AcceptedLogin<User, K extends string> {
  record: UserRecord<User>;
  fields: Record<K, string | null>;
}

const CREDENTIAL_FIELDS = {
  username: {},
  password: { trimWhitespace: false },
} as const satisfies Record<string, CharFieldSpec>;

/**
 * @internal
 * Parses the body, validates `username`, `password` and `extra` together, then checks the credentials
 * (Django's ModelBackend: one password hash whatever happens). An unknown user, a wrong password and an
 * inactive user all answer 400 `{"non_field_errors": ["Unable to log in with provided credentials."]}`
 * (or `options.refused()`) and emit `loginFailed` (never with the password); under a lockout, a locked
 * client gets 429 with DRF's throttled body and `Retry-After`. Store and hasher failures reject.
 */
export async function readLogin<User, K extends string = never>(
  request: Request,
  client: AuthRequest,
  options: ReadLoginOptions<User>,
  extra: Readonly<Record<K, CharFieldSpec>> = {} as Record<K, CharFieldSpec>,
): Promise<AcceptedLogin<User, K> | Response> {
  const body = await parseBody(request);
  if (body instanceof Response) return body;
  return checkLogin(body, client, options, extra);
}

/**
 * @internal
 * {@link readLogin} on a body already parsed (the session login reads its CSRF field from it first).
 */
export async function checkLogin<User, K extends string = never>(
  body: ParsedBody,
  client: AuthRequest,
  options: ReadLoginOptions<User>,
  extra: Readonly<Record<K, CharFieldSpec>> = {} as Record<K, CharFieldSpec>,
): Promise<AcceptedLogin<User, K> | Response> {
  const values = validateFields(body, { ...CREDENTIAL_FIELDS, ...extra });
  if (values instanceof Response) return values;

  const username = values.username!;
  const { users, passwords, lockout } = options;
  const check = lockout
    ? await lockout.check(client, users, username, values.password!, passwords)
    : await checkCredentials(users, username, values.password!, passwords);
  if (check.outcome === "locked") {
    options.events?.emit("loginFailed", { username, via: options.via });
    return check.error.getResponse();
  }
  if (check.outcome !== "valid") {
    options.events?.emit("loginFailed", { username, via: options.via });
    return (
      options.refused?.() ??
      badRequest({ [NON_FIELD_ERRORS]: ["Unable to log in with provided credentials."] })
    );
  }
  return { record: check.record, fields: values };
}
