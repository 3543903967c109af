/**
 * Compact JWS in and out (RFC 7515 §7.1), refusing everything a token may use to choose its own key.
 * @internal
 */
import type { JWTHeaderParameters } from "jose";
import { getNodeBuffer, type NodeBufferModule } from "../core/crypto.js";
import { binaryToBytes, decodeBase64Binary, decodeUtf8, encodeBase64Url, utf8 } from "../core/encoding.js";
import { parseJsonObject } from "./json.js";
import type { HeaderVerdict, KeyEntry, KeyRing } from "./keys.js";

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** A token whose signature checked out, with its header and claims (objects without prototypes). */
export interface VerifiedJWS {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/**
 * Verifies a compact JWS: size, three base64url segments, strict JSON objects for header and payload,
 * `alg` exactly the selected key's algorithm, no `crit`, `kid` only among configured keys; then the
 * signature, through the key's backend (jws-backends.ts). `null` for anything wrong: the caller answers
 * "Token is invalid". The answer comes without a promise when the backend gives it at once (node:crypto,
 * keys imported, selected locally); otherwise as a promise (keys still importing, a JWK Set lookup, or
 * WebCrypto): the synchronous seam.
 */
export function verifyCompact(
  token: string,
  keys: KeyRing,
): VerifiedJWS | null | Promise<VerifiedJWS | null> {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
  // Split with indexOf rather than split(): exactly two dots, three non-empty canonical segments.
  const dot = token.indexOf(".");
  const last = token.lastIndexOf(".");
  if (dot === -1 || token.indexOf(".", dot + 1) !== last) return null;
  const head = token.slice(0, dot);
  const body = token.slice(dot + 1, last);
  const signature = token.slice(last + 1);
  if (signature === "" || !isCanonicalSegment(body) || !isCanonicalSegment(signature)) return null;
  const verdict = headerVerdict(head, keys);
  if (verdict === null) return null;
  const claims = decodeSegment(body);
  if (claims === null) return null;
  if (verdict === undefined) {
    // Only the async path can choose the key: parse the header again, uncached, and wait for the ring.
    const parsed = parseHeader(head);
    if (parsed === null) return null;
    return keys
      .select(parsed.wanted)
      .then((entry) => verifyWith(token, last, { header: parsed.header, claims }, entry));
  }
  return verifyWith(token, last, { header: verdict.header, claims }, verdict.entry);
}

function verifyWith(
  token: string,
  last: number,
  verified: VerifiedJWS,
  entry: KeyEntry | null,
): VerifiedJWS | null | Promise<VerifiedJWS | null> {
  if (entry === null || verified.header.alg !== entry.algorithm) return null;
  const signature = segmentBytes(token.slice(last + 1));
  if (signature === null || signature.length !== entry.signatureLength) return null;
  // The signature covers the received segments (RFC 7515 §5.2), never re-serialized JSON.
  const valid = entry.backend.verify(entry.algorithm, entry.verifyKey, token.slice(0, last), signature);
  if (typeof valid === "boolean") return valid ? verified : null;
  return valid.then((ok) => (ok ? verified : null));
}

/**
 * What a header segment decides, the same for every token that carries it: the header and the key it
 * selects, or null (refused); undefined when only {@link KeyRing.select} can answer (keys still
 * importing, or a `kid` for the JWK Set URL), which is never cached.
 *
 * Cached per ring by the exact segment text, which fully determines the answer: the JSON it decodes
 * to, and (the ring's keys being fixed once imported) the key its `alg` and `kid` select. Tokens from
 * one issuer share a handful of header segments. Bounded (oldest out first): a flood of distinct
 * headers only costs re-parsing. Headers are frozen, so no caller can change a cached one.
 */
function headerVerdict(segment: string, keys: KeyRing): HeaderVerdict | null | undefined {
  const cache = keys.headerVerdicts;
  let verdict = cache.get(segment);
  if (verdict !== undefined) return verdict;
  const parsed = parseHeader(segment);
  if (parsed === null) {
    verdict = null;
  } else {
    const entry = keys.trySelect(parsed.wanted);
    if (entry === undefined) return undefined;
    verdict =
      entry === null || entry.algorithm !== parsed.header.alg ? null : { header: parsed.header, entry };
  }
  if (cache.size >= HEADER_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(segment, verdict);
  return verdict;
}

const HEADER_CACHE_SIZE = 64;

interface ParsedHeader {
  header: Readonly<Record<string, unknown>>;
  /** Only `alg` and `kid` reach key selection: `jwk`, `jku`, `x5u` and `x5c` are never looked at. */
  wanted: JWTHeaderParameters;
}

function parseHeader(segment: string): ParsedHeader | null {
  if (!isCanonicalSegment(segment)) return null;
  const header = decodeSegment(segment);
  if (header === null) return null;
  // RFC 7515 §4.1.11: an unknown critical parameter must be refused; we understand none.
  if (header.crit !== undefined || header.b64 !== undefined) return null;
  if (typeof header.alg !== "string") return null;
  const wanted: JWTHeaderParameters = Object.hasOwn(header, "kid")
    ? { alg: header.alg, kid: header.kid as string }
    : { alg: header.alg };
  return { header: Object.freeze(header), wanted };
}

/** Signs `claims` as a compact JWS with PyJWT's header (sorted keys: alg, kid, typ). */
export async function signCompact(claims: Record<string, unknown>, keys: KeyRing): Promise<string> {
  const key = await keys.signing();
  const header: JWTHeaderParameters = { alg: key.algorithm };
  if (keys.signingKid !== null) header.kid = keys.signingKid;
  header.typ = "JWT";
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(await key.backend.sign(key.algorithm, key.signKey, input))}`;
}

// node:buffer's native encoder where the runtime has it: the portable one was a third of a signature.
function base64url(data: string | Uint8Array): string {
  if (nodeBuffer === null) return encodeBase64Url(typeof data === "string" ? utf8(data) : data);
  const { Buffer } = nodeBuffer;
  const bytes =
    typeof data === "string"
      ? Buffer.from(data, "utf8")
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return bytes.toString("base64url");
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// RFC 4648 §3.5: the unused bits of the last character must be zero. Without this, "…Y" and "…Z" at the
// end of a signature decode to the same bytes: one signature, several tokens (malleability).
function isCanonicalSegment(segment: string): boolean {
  if (!SEGMENT.test(segment) || segment.length % 4 === 1) return false;
  const spare = segment.length % 4 === 2 ? 0b1111 : segment.length % 4 === 3 ? 0b11 : 0;
  return spare === 0 || (ALPHABET.indexOf(segment[segment.length - 1]!) & spare) === 0;
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  const text = segmentText(segment);
  return text === null ? null : parseJsonObject(text);
}

// Looked up once, at load; pure, so a bundle without JWTs drops it.
const nodeBuffer = /* @__PURE__ */ getNodeBuffer();

/**
 * The UTF-8 text of a canonical base64url segment (checked by the caller), or null for invalid UTF-8.
 * node:buffer's native decoder where the runtime has one, the portable decoder elsewhere; both keep a
 * byte-order mark (so JSON.parse refuses it) and refuse invalid UTF-8.
 */
export function segmentText(segment: string, node: NodeBufferModule | null = nodeBuffer): string | null {
  if (node?.isUtf8 !== undefined) {
    const bytes = node.Buffer.from(segment, "base64url");
    const text = bytes.toString("utf8");
    // The decoder puts U+FFFD for every invalid sequence: without one the bytes were valid UTF-8, and
    // isUtf8 (a second pass) is only needed when the text has one (U+FFFD may also be sent as itself).
    return text.includes("\uFFFD") && !node.isUtf8(bytes) ? null : text;
  }
  const binary = decodeBase64Binary(segment.replace(/-/g, "+").replace(/_/g, "/"), false);
  return binary === null ? null : decodeUtf8(binaryToBytes(binary));
}

// The bytes of a canonical base64url segment (a signature): node:buffer's native decoder where present.
function segmentBytes(segment: string): Uint8Array | null {
  if (nodeBuffer !== null) return nodeBuffer.Buffer.from(segment, "base64url");
  const binary = decodeBase64Binary(segment.replace(/-/g, "+").replace(/_/g, "/"), false);
  return binary === null ? null : binaryToBytes(binary);
}
