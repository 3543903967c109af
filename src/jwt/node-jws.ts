/**
 * Synchronous JWS signing and verification through node:crypto KeyObjects, where the runtime has them
 * (Node, Bun, Deno): an awaited WebCrypto call per token costs ~10x more on Node (perf-anchors.md §1).
 * The same keys as the WebCrypto path (KeyObject.from the imported CryptoKey), the same checks around it;
 * tests/jwt/differential.test.ts shows both paths agree.
 * @internal
 */
import {
  getNodeBuffer,
  getNodeCrypto,
  type NodeKeyObject,
  type NodeSignKey,
  timingSafeEqual,
} from "../core/crypto.js";
import { binaryToBytes, decodeBase64Binary, encodeBase64Url, utf8 } from "../core/encoding.js";
import type { JWTAlgorithm } from "./settings.js";
import { type AllocBuffer, EcdsaDer, FixedSignature } from "./signature-bytes.js";

/** Signs and verifies one key's JWS signatures synchronously. */
export interface SyncSigner {
  /** True when `signature` (base64url) is `signingInput`'s signature. */
  verify(signingInput: string, signature: string): boolean;
  /** The base64url signature of `signingInput`, or null when the key cannot sign. */
  sign(signingInput: string): string | null;
}

const RSA_PKCS1_PSS_PADDING = 6;
const RSA_PSS_SALTLEN_DIGEST = -1;
const P1363_LENGTH: Partial<Record<JWTAlgorithm, number>> = { ES256: 64, ES384: 96, ES512: 132 };

/** A synchronous signer for a key, or null where node:crypto (or the key conversion) is not available. */
export function syncSigner(
  algorithm: JWTAlgorithm,
  verifyKey: CryptoKey,
  signKey: CryptoKey | null,
): SyncSigner | null {
  const node = getNodeCrypto();
  if (!node?.KeyObject || !node.createHmac || !node.sign || !node.verify) return null;
  let verifyObject: NodeKeyObject;
  let signObject: NodeKeyObject | null;
  try {
    verifyObject = node.KeyObject.from(verifyKey);
    signObject = signKey === null ? null : node.KeyObject.from(signKey);
  } catch {
    return null;
  }
  const hash = algorithm === "EdDSA" ? null : `sha${algorithm.slice(2)}`;
  if (algorithm.startsWith("HS")) {
    const hmac = (input: string) => node.createHmac!(hash!, verifyObject).update(input).digest("base64url");
    return {
      verify: (input, signature) => timingSafeEqual(hmac(input), signature),
      sign: (input) => hmac(input),
    };
  }
  const options = (key: NodeKeyObject): NodeKeyObject | NodeSignKey =>
    algorithm.startsWith("PS")
      ? { key, padding: RSA_PKCS1_PSS_PADDING, saltLength: RSA_PSS_SALTLEN_DIGEST }
      : algorithm.startsWith("ES")
        ? { key, dsaEncoding: "ieee-p1363" }
        : key;
  const verifyWith = options(verifyObject);
  const signWith = signObject === null ? null : options(signObject);
  // RSA and ECDSA through a Verify object: ~7% faster per RS256 token than one-shot crypto.verify on
  // Node 20 (ES256 measured no slower). EdDSA has only the one-shot form. Where node:buffer is present
  // the signature is decoded into a buffer the key reuses, ECDSA's straight into DER (signature-bytes.ts);
  // a signature of the wrong length is refused before node:crypto sees it (a wrong token is a 401, never
  // a 500: an ECDSA P1363 signature of the wrong length would throw).
  const createVerify = algorithm === "EdDSA" ? null : nodeVerify();
  const p1363 = P1363_LENGTH[algorithm];
  const reader = signatureReader(algorithm, verifyObject);
  const checkWith = p1363 !== undefined && reader !== null ? verifyObject : verifyWith;
  return {
    verify(input, signature) {
      const bytes = reader !== null ? reader.read(signature) : decodeBase64Url(signature);
      if (bytes === null) return false;
      if (p1363 !== undefined && reader === null && bytes.length !== p1363) return false;
      if (createVerify !== null) return createVerify(hash!).update(input).verify(checkWith, bytes);
      return node.verify!(hash, inputBytes(input), checkWith, bytes);
    },
    sign(input) {
      if (signWith === null) return null;
      return encodeBase64Url(node.sign!(hash, inputBytes(input), signWith));
    },
  };
}

/** node:crypto's streaming verifier (the core's NodeCrypto types only what every caller needs). */
type CreateVerify = (algorithm: string) => {
  update(data: string): { verify(key: NodeKeyObject | NodeSignKey, signature: Uint8Array): boolean };
};

function nodeVerify(): CreateVerify | null {
  const node = getNodeCrypto() as { createVerify?: CreateVerify } | null;
  return typeof node?.createVerify === "function" ? node.createVerify : null;
}

/** node:buffer with the conversions used here (the core types only what every caller needs). */
interface NodeBuffers {
  Buffer: {
    from(text: string, encoding: "base64url" | "utf8"): Uint8Array;
    alloc: AllocBuffer;
  };
}

// Looked up once, at load; null where the runtime has no node:buffer (a Worker, a browser).
const nodeBuffer = getNodeBuffer() as NodeBuffers | null;

/** What a key's KeyObject says of its size (absent on runtimes without asymmetricKeyDetails). */
interface KeyDetails {
  asymmetricKeyType?: string;
  asymmetricKeyDetails?: { modulusLength?: number };
}

// The reused-buffer reader for this key's signatures, or null (no node:buffer, or a size not known).
function signatureReader(
  algorithm: JWTAlgorithm,
  key: NodeKeyObject,
): { read(text: string): Uint8Array | null } | null {
  if (nodeBuffer === null || typeof nodeBuffer.Buffer.alloc !== "function") return null;
  const alloc = (size: number) => nodeBuffer.Buffer.alloc(size);
  const p1363 = P1363_LENGTH[algorithm];
  if (p1363 !== undefined) return new EcdsaDer(p1363, alloc);
  const details = key as NodeKeyObject & KeyDetails;
  if (algorithm === "EdDSA") {
    const length = ED_SIGNATURE_LENGTH[details.asymmetricKeyType ?? ""];
    return length === undefined ? null : new FixedSignature(length, alloc);
  }
  const bits = details.asymmetricKeyDetails?.modulusLength;
  return typeof bits === "number" && bits > 0 ? new FixedSignature(Math.ceil(bits / 8), alloc) : null;
}

const ED_SIGNATURE_LENGTH: Partial<Record<string, number>> = { ed25519: 64, ed448: 114 };

// A Buffer is what crypto.verify takes without a conversion (a TextEncoder array measured slower).
function inputBytes(input: string): Uint8Array {
  return nodeBuffer !== null ? nodeBuffer.Buffer.from(input, "utf8") : utf8(input);
}

// The caller checked the segment is canonical base64url; node:buffer decodes it natively where present.
function decodeBase64Url(text: string): Uint8Array | null {
  if (nodeBuffer !== null) return nodeBuffer.Buffer.from(text, "base64url");
  const binary = decodeBase64Binary(text.replace(/-/g, "+").replace(/_/g, "/"), false);
  return binary === null ? null : binaryToBytes(binary);
}
