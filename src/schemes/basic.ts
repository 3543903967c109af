/**
 * HTTP Basic authentication (RFC 7617), DRF's `BasicAuthentication`.
 */
import { MAX_AUTHORIZATION_LENGTH, readAuthorization } from "../core/authorization.js";
import { binaryToBytes, decodeBase64Binary, decodeUtf8 } from "../core/encoding.js";
import { AuthenticationFailed } from "../core/errors.js";
import {
  type Authenticated,
  type AuthRequest,
  type BaseAuthentication,
  recordIdentity,
} from "../core/scheme.js";
import type { PasswordOptions } from "../passwords/hash.js";
import { checkCredentials } from "../stores/credentials.js";
import type { UserStore } from "../stores/types.js";
import type { Lockout } from "../throttling/lockout.js";

/** Options shared by both forms of {@link BasicAuthentication}. */
interface BasicCommonOptions {
  /** The realm in `WWW-Authenticate: Basic realm="…"`; default `"api"` as in DRF. */
  realm?: string;
  /** The scheme's name in results; default `"basic"`. */
  name?: string;
}

/** Basic authentication against a {@link UserStore}, with Django-compatible password hashes. */
export interface BasicUsersOptions<User> extends BasicCommonOptions {
  /** Where users are found by username. */
  users: UserStore<User>;
  /** The configured password algorithm and parameters: upgrades and the unknown-user hash use them. */
  passwords?: PasswordOptions;
  /**
   * Refuses a client's logins for a cool-off after too many failures: 429 with DRF's throttled body
   * and `Retry-After`, at the cost of a wrong password.
   */
  lockout?: Lockout;
  /** Not with `users`. */
  verify?: never;
}

/** Basic authentication with your own check (an LDAP bind, a legacy table). */
export interface BasicVerifyOptions<User> extends BasicCommonOptions {
  /**
   * Returns (or resolves to) the user for a correct username and password, or `null` (also for a disabled
   * account: another answer there tells a caller the password was right). Throw an `AuthError` for
   * another answer. Never called for credentials holding a NUL character.
   */
  verify: (username: string, password: string, request: AuthRequest) => User | null | Promise<User | null>;
  /** Not with `verify`. */
  users?: never;
}

/** Options for {@link BasicAuthentication}: either `users` or `verify`. */
export type BasicAuthenticationOptions<User> = BasicUsersOptions<User> | BasicVerifyOptions<User>;

/**
 * `Authorization: Basic <base64(user-id ":" password)>` (RFC 7617), with DRF's behaviour and messages:
 *
 * - another keyword, or no header: `null`; the keyword is case-insensitive;
 * - `"Invalid basic header. No credentials provided."`, `"… Credentials string should not contain spaces."`,
 *   `"… Credentials not correctly base64 encoded."` (also when there is no colon);
 * - the decoded bytes are UTF-8, or latin-1 when they are not valid UTF-8; split on the FIRST colon;
 * - `"Invalid username/password."` for an unknown user, a wrong password and an inactive user, right
 *   password or not (Django's `ModelBackend` refuses inactive users before DRF sees them), and for a
 *   username or password holding a NUL character, refused before the store or `verify` is asked
 *   (Django's `ProhibitNullCharactersValidator`; PostgreSQL cannot store NUL in text).
 *
 * With `users`, an unknown username, a wrong password and an inactive user each cost one password hash
 * (Django #20760), so neither the answer nor the work tells them apart; a correct password of an active
 * user whose stored hash is weaker than configured is re-hashed and saved before the scheme returns.
 * Success: `{ user: record.user, auth: null }`.
 *
 * @example
 * ```ts
 * const users = new MemoryUserStore();
 * await users.create({ username: "ada", passwordHash: await hashPassword("correct horse") });
 * const basic = new BasicAuthentication({ users });
 * const result = await authenticate(request, [basic]);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7617
 * @see https://www.django-rest-framework.org/api-guide/authentication/#basicauthentication
 */
export class BasicAuthentication<User = unknown> implements BaseAuthentication<User, null> {
  readonly name: string;
  readonly #challenge: string;
  readonly #options: BasicAuthenticationOptions<User>;

  /**
   * @param options - `users` (with optional `passwords`) or `verify`; `realm`; `name`
   * @throws TypeError when both or neither of `users` and `verify` are given, or the realm has control characters
   */
  constructor(options: BasicAuthenticationOptions<User>) {
    if ((options.users === undefined) === (options.verify === undefined)) {
      throw new TypeError("BasicAuthentication needs exactly one of `users` or `verify`.");
    }
    this.#options = { ...options };
    this.name = options.name ?? "basic";
    this.#challenge = `Basic realm=${quote(options.realm ?? "api")}`;
  }

  /**
   * Authenticates a Basic header; see the class description for every answer.
   *
   * @param request - the request
   * @returns `{ user, auth: null }`, or `null` without Basic credentials
   * @throws AuthenticationFailed for malformed or wrong credentials
   */
  async authenticate(request: AuthRequest): Promise<Authenticated<User, null> | null> {
    const binary = decodedCredentials(request);
    if (binary === null) return null;
    const pair = splitUserPass(binary);
    if (pair === null) throw new AuthenticationFailed(NOT_BASE64);
    const [username, password] = pair;
    // A NUL never reaches a store: PostgreSQL refuses it (a 500), C libraries cut the string there.
    if (username.includes("\0") || password.includes("\0")) throw new AuthenticationFailed(INVALID);
    const options = this.#options;
    if (options.verify !== undefined) {
      return verified(await options.verify(username, password, request));
    }
    const { users, passwords, lockout } = options;
    const check = lockout
      ? await lockout.check(request, users, username, password, passwords)
      : await checkCredentials(users, username, password, passwords);
    if (check.outcome === "locked") throw check.error;
    // ModelBackend.user_can_authenticate: an inactive user is refused as a wrong password is.
    if (check.outcome !== "valid") throw new AuthenticationFailed(INVALID);
    return { user: check.record.user, auth: null, ...recordIdentity(check.record) };
  }

  /**
   * The challenge for a 401: `Basic realm="api"` unless configured otherwise.
   *
   * @returns the `WWW-Authenticate` value
   */
  authenticateHeader(): string {
    return this.#challenge;
  }
}

// The credential after the keyword, base64-decoded to a binary string; `null` without Basic credentials.
// Throws DRF's header errors, and its base64 error unless the credential is strict padded base64.
function decodedCredentials(request: AuthRequest): string | null {
  const header = request.headers.get("authorization");
  // The usual header, the exact keyword, one space and strict base64, skips the general reader.
  if (header !== null && header.length % 4 === 2 && header.length > 6 && header.startsWith("Basic ")) {
    const binary = header.length <= MAX_AUTHORIZATION_LENGTH ? strictAtob(header.slice(6)) : null;
    if (binary !== null) return binary;
  }
  const parsed = readAuthorization(request, BASIC);
  if (parsed === null) return null;
  if (parsed.credentials.length === 0) {
    throw new AuthenticationFailed("Invalid basic header. No credentials provided.");
  }
  if (parsed.credentials.length > 1) {
    throw new AuthenticationFailed("Invalid basic header. Credentials string should not contain spaces.");
  }
  const binary = decodeBase64Binary(parsed.credentials[0]!);
  if (binary === null) throw new AuthenticationFailed(NOT_BASE64);
  return binary;
}

const NOT_BASE64 = "Invalid basic header. Credentials not correctly base64 encoded.";
const INVALID = "Invalid username/password.";

// `text` decoded when it is strict padded base64 holding nothing else, else null (the general path then
// says what is wrong). atob() is WHATWG's forgiving-base64: it would also skip ASCII whitespace, which
// DRF refuses. Strict base64 of n characters (n a multiple of 4) ending in p "=" decodes to exactly
// 3n/4 - p bytes; anything atob skipped leaves fewer data characters, so it decodes to fewer bytes.
function strictAtob(text: string): string | null {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  const end = text.length;
  const padding = text.charCodeAt(end - 1) !== 61 ? 0 : text.charCodeAt(end - 2) !== 61 ? 1 : 2;
  return binary.length === (end / 4) * 3 - padding ? binary : null;
}

// RFC 7617 §2: user-id ":" password, split on the FIRST colon (the user-id cannot hold one).
function splitUserPass(binary: string): [string, string] | null {
  // DRF: UTF-8, falling back to latin-1 (the binary string itself) for bytes that are not valid UTF-8.
  const text = HIGH_BYTE.test(binary) ? (decodeUtf8(binaryToBytes(binary)) ?? binary) : binary;
  const colon = text.indexOf(":");
  return colon === -1 ? null : [text.slice(0, colon), text.slice(colon + 1)];
}

const HIGH_BYTE = /[\x80-\xff]/;

const BASIC = ["Basic"];

function verified<User>(user: User | null): Authenticated<User, null> {
  if (user === null || user === undefined) throw new AuthenticationFailed(INVALID);
  return { user, auth: null };
}

// RFC 9110 §5.6.4 quoted-string: HTAB, visible ASCII and obs-text; a control character would forge the header.
function quote(realm: string): string {
  if (/[^\t\x20-\x7e\x80-\xff]/.test(realm)) {
    throw new TypeError("The realm must be printable latin-1 text without control characters.");
  }
  return `"${realm.replace(/[\\"]/g, "\\$&")}"`;
}
