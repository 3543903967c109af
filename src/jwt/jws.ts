/**
 * Compact JWS in and out (RFC 7515 §7.1), refusing everything a token may use to choose its own key.
 * @internal
 */
import { CompactSign, compactVerify, type JWTHeaderParameters } from "jose";
import { getNodeBuffer, type NodeBufferModule } from "../core/crypto.js";
import { binaryToBytes, decodeBase64Binary, decodeUtf8, encodeBase64Url, utf8 } from "../core/encoding.js";
import { parseJsonObject } from "./json.js";
import type { KeyEntry, KeyRing } from "./keys.js";

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
 * signature. `null` for anything wrong: the caller answers "Token is invalid". The answer comes without a
 * promise when node:crypto can give it at once (keys imported, selected locally); otherwise as a promise
 * (keys still importing, a JWK Set lookup, or jose on WebCrypto).
 */
export function verifyCompact(
  token: string,
  keys: KeyRing,
): VerifiedJWS | null | Promise<VerifiedJWS | null> {
  const parsed = parseCompact(token);
  if (parsed === null) return null;
  const local = keys.trySelect(parsed.wanted);
  if (local === undefined)
    return keys.select(parsed.wanted).then((entry) => verifyWith(token, parsed, entry));
  return verifyWith(token, parsed, local);
}

function verifyWith(
  token: string,
  parsed: ParsedCompact,
  entry: KeyEntry | null,
): VerifiedJWS | null | Promise<VerifiedJWS | null> {
  if (entry === null || parsed.header.alg !== entry.algorithm) return null;
  const verified = { header: parsed.header, claims: parsed.claims };
  if (entry.fast !== null) return entry.fast.verify(parsed.signingInput, parsed.signature) ? verified : null;
  return compactVerify(token, entry.verify, { algorithms: [entry.algorithm] }).then(
    () => verified,
    () => null,
  );
}

interface ParsedCompact extends VerifiedJWS {
  signingInput: string;
  signature: string;
  /** Only `alg` and `kid` reach key selection: `jwk`, `jku`, `x5u` and `x5c` are never looked at. */
  wanted: JWTHeaderParameters;
}

function parseCompact(token: string): ParsedCompact | null {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every(isCanonicalSegment)) return null;
  const [head, body, signature] = parts as [string, string, string];
  const header = decodeHeader(head);
  const claims = decodeSegment(body);
  if (header === null || claims === null || signature === "") return null;
  // RFC 7515 §4.1.11: an unknown critical parameter must be refused; we understand none.
  if (header.crit !== undefined || header.b64 !== undefined) return null;
  if (typeof header.alg !== "string") return null;
  const wanted: JWTHeaderParameters = Object.hasOwn(header, "kid")
    ? { alg: header.alg, kid: header.kid as string }
    : { alg: header.alg };
  return { header, claims, signingInput: `${head}.${body}`, signature, wanted };
}

/** Signs `claims` as a compact JWS with PyJWT's header (sorted keys: alg, kid, typ). */
export async function signCompact(claims: Record<string, unknown>, keys: KeyRing): Promise<string> {
  const key = await keys.signing();
  const header: JWTHeaderParameters = { alg: key.algorithm };
  if (keys.signingKid !== null) header.kid = keys.signingKid;
  header.typ = "JWT";
  const payload = JSON.stringify(claims);
  if (key.fast !== null) {
    const input = `${encodeSegment(JSON.stringify(header))}.${encodeSegment(payload)}`;
    const signature = key.fast.sign(input);
    if (signature !== null) return `${input}.${signature}`;
  }
  return new CompactSign(utf8(payload)).setProtectedHeader(header).sign(key.sign);
}

function encodeSegment(json: string): string {
  return encodeBase64Url(utf8(json));
}

// Tokens from one issuer share a handful of header segments: parse each once. Bounded; headers are frozen,
// so no caller can change a cached one.
const headerCache = new Map<string, Record<string, unknown> | null>();
const HEADER_CACHE_SIZE = 64;

function decodeHeader(segment: string): Record<string, unknown> | null {
  let header = headerCache.get(segment);
  if (header === undefined) {
    header = decodeSegment(segment);
    if (header !== null) Object.freeze(header);
    if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.delete(headerCache.keys().next().value!);
    headerCache.set(segment, header);
  }
  return header;
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

/**
 * The UTF-8 text of a canonical base64url segment (checked by the caller), or null for invalid UTF-8.
 * node:buffer's native decoder where the runtime has one, the portable decoder elsewhere; both keep a
 * byte-order mark (so JSON.parse refuses it) and refuse invalid UTF-8.
 */
export function segmentText(segment: string, node: NodeBufferModule | null = getNodeBuffer()): string | null {
  if (node?.isUtf8 !== undefined) {
    const bytes = node.Buffer.from(segment, "base64url");
    return node.isUtf8(bytes) ? bytes.toString("utf8") : null;
  }
  const binary = decodeBase64Binary(segment.replace(/-/g, "+").replace(/_/g, "/"), false);
  return binary === null ? null : decodeUtf8(binaryToBytes(binary));
}
