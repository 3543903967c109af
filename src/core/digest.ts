/**
 * The digest under which an opaque token is stored: SHA-256, computed synchronously on the request path.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { getNodeCrypto } from "./crypto.js";
import { utf8 } from "./encoding.js";

/**
 * The lowercase hex SHA-256 of the token string's UTF-8 bytes: what a
 * {@link index!TokenStore | TokenStore} keeps instead of the token. Synchronous (node:crypto's `hash`
 * where the runtime has it, @noble/hashes elsewhere): an awaited `crypto.subtle.digest` would put a
 * microtask on every request.
 *
 * @param token - the plaintext token
 * @returns 64 lowercase hex characters
 * @example
 * ```ts
 * const record = await tokens.findByDigest(tokenDigest(presented));
 * ```
 */
export function tokenDigest(token: string): string {
  return digest(token);
}

// Pure: a bundle that never digests a token drops this (and @noble/hashes) despite the call at load.
const digest: (token: string) => string = /* @__PURE__ */ (() => {
  const hash = getNodeCrypto()?.hash;
  if (typeof hash === "function") {
    return (token: string) => hash("sha256", token, "hex");
  }
  return (token: string) => bytesToHex(sha256(utf8(token)));
})();
