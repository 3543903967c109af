/**
 * The crypto under the one JWS verifier (jws.ts): one interface, two backends. node:crypto KeyObjects
 * answer at once where the runtime has them (Node, Bun, Deno): an awaited WebCrypto call per token costs
 * several times more there. WebCrypto answers everywhere, with a promise. tests/jwt/differential.test.ts
 * holds the two to the same answers.
 * @internal
 */
import {
  getNodeBuffer,
  getNodeCrypto,
  type NodeKeyObject,
  type NodeSignKey,
  timingSafeEqual,
} from "../core/crypto.js";
import { utf8 } from "../core/encoding.js";
import type { JWTAlgorithm } from "./settings.js";

/**
 * Makes and checks JWS signatures (RFC 7518 §3) with keys in its own form `K`. Signatures are the raw
 * JWS bytes: r ‖ s for ECDSA (IEEE P1363), never DER.
 */
export interface JWSBackend<K = unknown> {
  readonly name: "node" | "webcrypto";
  /** This backend's form of a key imported for `algorithm`, or null when it cannot take the key. */
  key(algorithm: JWTAlgorithm, key: CryptoKey): K | null;
  /** True when `signature` signs `signingInput` (the received `header.payload` text). */
  verify(
    algorithm: JWTAlgorithm,
    key: K,
    signingInput: string,
    signature: Uint8Array,
  ): boolean | Promise<boolean>;
  /** The signature of `signingInput`. */
  sign(algorithm: JWTAlgorithm, key: K, signingInput: string): Uint8Array | Promise<Uint8Array>;
}

const HASH: Record<JWTAlgorithm, string | null> = {
  HS256: "sha256",
  HS384: "sha384",
  HS512: "sha512",
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  PS256: "sha256",
  PS384: "sha384",
  PS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
  EdDSA: null,
};

/** Whether `value` names one of the signing algorithms portcullis accepts (the keys of the hash table). */
export function isJWTAlgorithm(value: unknown): value is JWTAlgorithm {
  return typeof value === "string" && Object.hasOwn(HASH, value);
}

const RSA_PKCS1_PSS_PADDING = 6;
const RSA_PSS_SALTLEN_DIGEST = -1;

/** node:crypto's createHmac with a byte digest (the core's NodeCrypto types the base64url one). */
type CreateHmac = (hash: string, key: NodeKeyObject) => { update(data: string): { digest(): Uint8Array } };

/** node:buffer's Buffer.from for the signing input (crypto.sign and verify take a Buffer as it is). */
type BufferFrom = (text: string, encoding: "latin1") => Uint8Array;

/** The node:crypto backend, or null where the runtime has no node:crypto KeyObjects. */
function nodeCryptoBackend(): JWSBackend<NodeKeyObject | NodeSignKey> | null {
  const node = getNodeCrypto();
  const { KeyObject, sign, verify } = node ?? {};
  const createHmac = node?.createHmac as CreateHmac | undefined;
  if (!KeyObject || !createHmac || !sign || !verify) return null;
  const from = (getNodeBuffer()?.Buffer.from as BufferFrom | undefined) ?? null;
  // The signing input is base64url and dots: Latin-1 and UTF-8 give the same bytes.
  const bytes = (input: string): Uint8Array => (from === null ? utf8(input) : from(input, "latin1"));
  const hmac = (algorithm: JWTAlgorithm, key: NodeKeyObject | NodeSignKey, input: string) =>
    createHmac(HASH[algorithm]!, key as NodeKeyObject)
      .update(input)
      .digest();
  return {
    name: "node",
    key(algorithm, cryptoKey) {
      let key: NodeKeyObject;
      try {
        key = KeyObject.from(cryptoKey);
      } catch {
        return null; // a key this runtime's KeyObject cannot take stays on WebCrypto
      }
      if (algorithm.startsWith("PS"))
        return { key, padding: RSA_PKCS1_PSS_PADDING, saltLength: RSA_PSS_SALTLEN_DIGEST };
      // JWS ECDSA signatures are r ‖ s (RFC 7518 §3.4); a DER signature is refused as any wrong one.
      if (algorithm.startsWith("ES")) return { key, dsaEncoding: "ieee-p1363" };
      return key;
    },
    verify(algorithm, key, input, signature) {
      if (algorithm.startsWith("HS")) return timingSafeEqual(hmac(algorithm, key, input), signature);
      return verify(HASH[algorithm]!, bytes(input), key, signature);
    },
    sign(algorithm, key, input) {
      if (algorithm.startsWith("HS")) return hmac(algorithm, key, input);
      return sign(HASH[algorithm]!, bytes(input), key);
    },
  };
}

/** A CryptoKey and the WebCrypto parameters its JWS algorithm signs with. */
interface WebCryptoKey {
  key: CryptoKey;
  params: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
}

function webCryptoParams(algorithm: JWTAlgorithm, key: CryptoKey): WebCryptoKey["params"] {
  const bits = Number(algorithm.slice(2));
  if (algorithm.startsWith("HS")) return "HMAC";
  if (algorithm.startsWith("RS")) return "RSASSA-PKCS1-v1_5";
  if (algorithm.startsWith("PS")) return { name: "RSA-PSS", saltLength: bits / 8 }; // RFC 7518 §3.5
  if (algorithm.startsWith("ES")) return { name: "ECDSA", hash: `SHA-${bits}` };
  return { name: key.algorithm.name }; // EdDSA: Ed25519 or Ed448, as the key was imported
}

/** The WebCrypto backend (crypto.subtle), on every runtime. */
export const webCryptoBackend: JWSBackend<WebCryptoKey> = {
  name: "webcrypto",
  key: (algorithm, key) => ({ key, params: webCryptoParams(algorithm, key) }),
  verify: (_algorithm, { key, params }, input, signature) =>
    // As jose: a runtime that throws on a malformed signature (the spec says false) means invalid too.
    crypto.subtle
      .verify(params, key, signature as Uint8Array<ArrayBuffer>, utf8(input) as Uint8Array<ArrayBuffer>)
      .catch(() => false),
  sign: async (_algorithm, { key, params }, input) =>
    new Uint8Array(await crypto.subtle.sign(params, key, utf8(input) as Uint8Array<ArrayBuffer>)),
};

/** node:crypto's backend where the runtime has it, else null; looked up once. */
// Pure: a bundle without JWTs drops the lookup.
export const nodeBackend: JWSBackend<NodeKeyObject | NodeSignKey> | null =
  /* @__PURE__ */ nodeCryptoBackend();
