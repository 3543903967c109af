/**
 * Django's CSRF tokens: 32-character secrets of [a-zA-Z0-9], their 64-character masked form, the
 * secret bound to a session, and the format check.
 */
import { randomString } from "../core/crypto.js";
import { tokenDigest } from "../core/digest.js";

/** Length of a CSRF secret (Django's `CSRF_SECRET_LENGTH`). */
export const CSRF_SECRET_LENGTH = 32;
/** Length of a masked CSRF token (Django's `CSRF_TOKEN_LENGTH`). */
export const CSRF_TOKEN_LENGTH = 64;
const CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
// Built by a pure call, not a loop at load, so a bundle without CSRF drops it.
const INDEX: Int8Array = /* @__PURE__ */ indexOf(CHARS);
const INVALID_CHARACTERS = /[^a-zA-Z0-9]/;

/**
 * A new random CSRF secret: 32 characters of [a-zA-Z0-9] (Django's `_get_new_csrf_string`).
 *
 * @returns the secret
 * @example
 * ```ts
 * const secret = newCsrfSecret(); // "Xq3…", 32 characters
 * ```
 */
export function newCsrfSecret(): string {
  return randomString(CSRF_SECRET_LENGTH);
}

/**
 * The CSRF secret bound to a session id: 32 characters of [a-zA-Z0-9] derived one-way from the id
 * (SHA-256 under its own label), so the secret, readable by scripts, reveals nothing of the id, changes
 * with every login, and needs no storage.
 *
 * @param sessionId - the session id from the cookie
 * @returns the session's CSRF secret
 * @example
 * ```ts
 * const secret = await sessionCsrfSecret(sessionId);
 * ```
 */
export async function sessionCsrfSecret(sessionId: string): Promise<string> {
  const hex = await tokenDigest(`portcullis.csrf:${sessionId}`);
  let secret = "";
  for (let i = 0; i < 2 * CSRF_SECRET_LENGTH; i += 2) {
    const byte = (hexValue(hex.charCodeAt(i)) << 4) | hexValue(hex.charCodeAt(i + 1));
    secret += CHARS[byte % CHARS.length];
  }
  return secret;
}

/**
 * Masks a secret for a page or a response body: a fresh 32-character mask followed by the secret
 * shifted by it, character by character (Django's `_mask_cipher_secret`). Every call gives a different
 * 64-character token for the same secret (BREACH).
 *
 * @param secret - a 32-character secret
 * @returns a 64-character token
 * @example
 * ```ts
 * const token = maskCsrfSecret(secret); // send it to the page; it comes back in X-CSRFToken
 * ```
 */
export function maskCsrfSecret(secret: string): string {
  const mask = randomString(CSRF_SECRET_LENGTH);
  let cipher = "";
  for (let i = 0; i < CSRF_SECRET_LENGTH; i++) {
    cipher += CHARS[(INDEX[secret.charCodeAt(i)]! + INDEX[mask.charCodeAt(i)]!) % CHARS.length];
  }
  return mask + cipher;
}

/**
 * Recovers the secret from a 64-character masked token (Django's `_unmask_cipher_token`).
 *
 * @param token - a 64-character token of [a-zA-Z0-9]
 * @returns the 32-character secret
 * @example
 * ```ts
 * unmaskCsrfToken(maskCsrfSecret(secret)) === secret; // true
 * ```
 */
export function unmaskCsrfToken(token: string): string {
  let secret = "";
  for (let i = 0; i < CSRF_SECRET_LENGTH; i++) {
    const value = INDEX[token.charCodeAt(CSRF_SECRET_LENGTH + i)]! - INDEX[token.charCodeAt(i)]!;
    secret += CHARS[(value + CHARS.length) % CHARS.length];
  }
  return secret;
}

/** The value of a lowercase hex digit's char code. */
function hexValue(code: number): number {
  return code <= 57 ? code - 48 : code - 87;
}

/**
 * Django's `_check_token_format`: the reason phrase, or `null` for a well-formed token.
 * @internal
 */
export function tokenFormatError(token: string): string | null {
  if (token.length !== CSRF_SECRET_LENGTH && token.length !== CSRF_TOKEN_LENGTH) {
    return "has incorrect length";
  }
  return INVALID_CHARACTERS.test(token) ? "has invalid characters" : null;
}

// The header as Django's message names it: `HttpHeaders.parse_header_name` of its `META` key, so
// underscores read as hyphens and Python's `str.title()` applies (a letter after a non-letter upper-case,
// every other letter lower-case): `X-CSRFToken` is `X-Csrftoken`.
/** @internal */
export function djangoHeaderName(name: string): string {
  let title = "";
  let afterLetter = false;
  for (const char of name.replaceAll("_", "-")) {
    const letter = (char >= "a" && char <= "z") || (char >= "A" && char <= "Z");
    title += !letter ? char : afterLetter ? char.toLowerCase() : char.toUpperCase();
    afterLetter = letter;
  }
  return title;
}

// Python's repr() of a str of token characters (never a double quote or a backslash): in single quotes,
// unless it holds one.
/** @internal */
export function pythonRepr(text: string): string {
  return text.includes("'") ? `"${text}"` : `'${text}'`;
}

function indexOf(chars: string): Int8Array {
  const index = new Int8Array(128).fill(-1);
  for (let i = 0; i < chars.length; i++) index[chars.charCodeAt(i)] = i;
  return index;
}
