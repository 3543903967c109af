/**
 * The digest under which an opaque token is stored: SHA-256.
 */
import { getNodeCrypto } from "./crypto.js";

/**
 * The lowercase hex SHA-256 of the token string's UTF-8 bytes: what a
 * {@link index!TokenStore | TokenStore} keeps instead of the token.
 *
 * @param token - the plaintext token
 * @returns 64 lowercase hex characters
 * @example
 * ```ts
 * import { tokenDigest } from "portcullis/adapter-kit";
 *
 * const record = await tokens.findByDigest(await tokenDigest(presented));
 * ```
 */
export async function tokenDigest(token: string): Promise<string> {
  // node:crypto's one-shot hash where the runtime has it: WebCrypto's digest costs a job per call there.
  if (nodeHash !== undefined) return nodeHash("sha256", token, "hex");
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

type OneShotHash = (algorithm: string, data: string, encoding: "hex") => string;

const nodeHash: OneShotHash | undefined = /* @__PURE__ */ (() => {
  const hash = getNodeCrypto()?.hash;
  return typeof hash === "function" ? (hash as OneShotHash) : undefined;
})();
