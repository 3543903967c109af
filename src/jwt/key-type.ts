/**
 * What a configured key is (RSA, EC and its curve, Ed25519, an HMAC secret), told synchronously when the
 * service is built, so that a key that cannot serve its algorithm is refused then, never at request time;
 * and PKCS#1 / SEC1 PEMs (what `openssl genrsa` and `openssl ecparam -genkey` write) turned into PKCS#8 /
 * SPKI where node:crypto can read them.
 * @internal
 */
import { getNodeCrypto } from "../core/crypto.js";
import type { JWTAlgorithm, JWTKey } from "./settings.js";

/** The command that turns a PKCS#1 or SEC1 private key into PKCS#8. */
export const PKCS8_COMMAND = "openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem";
const SPKI_COMMAND = "openssl rsa -RSAPublicKey_in -in key.pem -pubout -out key.spki.pem";

/** node:crypto's key parsing, where the runtime has it (the core's NodeCrypto types only the common part). */
export interface NodeKeyParser {
  createPrivateKey(key: string): NodeParsedKey;
  createPublicKey(key: string): NodeParsedKey;
}
interface NodeParsedKey {
  asymmetricKeyType?: string;
  export(options: { type: "pkcs8" | "spki"; format: "pem" | "der" }): string | Uint8Array;
}

/** node:crypto's createPrivateKey and createPublicKey, or null where the runtime has none. */
export function nodeKeyParser(): NodeKeyParser | null {
  const node = getNodeCrypto() as Partial<NodeKeyParser> | null;
  return typeof node?.createPrivateKey === "function" && typeof node.createPublicKey === "function"
    ? (node as NodeKeyParser)
    : null;
}

// The PKCS#1 and SEC1 PEM labels: the kind of key each holds, and the name of its format.
const LEGACY_PEMS: Record<string, [kind: "private" | "public", format: string]> = {
  "RSA PRIVATE KEY": ["private", "PKCS#1"],
  "EC PRIVATE KEY": ["private", "SEC1"],
  "RSA PUBLIC KEY": ["public", "PKCS#1"],
};

/**
 * A PEM in the form WebCrypto imports (PKCS#8, SPKI, X.509): a PKCS#1 or SEC1 PEM converted through
 * node:crypto; any other key as it is.
 *
 * @throws TypeError where the runtime has no node:crypto (naming the `openssl` command to run), or when
 *   node:crypto cannot read the key (encrypted, malformed)
 */
export function standardPem(key: JWTKey, role: string, node: NodeKeyParser | null = nodeKeyParser()): JWTKey {
  if (typeof key !== "string") return key;
  const label = /-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(key)?.[1];
  const legacy = label === undefined ? undefined : LEGACY_PEMS[label];
  if (legacy === undefined) return key;
  const [kind, format] = legacy;
  const command = kind === "public" ? SPKI_COMMAND : PKCS8_COMMAND;
  if (node === null) {
    throw new TypeError(
      `JWTService: the ${role} is a ${format} PEM (BEGIN ${label}), which this runtime cannot import ` +
        "without node:crypto; " +
        `convert it once with \`${command}\` and use key.${kind === "public" ? "spki" : "pk8"}.pem.`,
    );
  }
  try {
    const exported =
      kind === "public"
        ? node.createPublicKey(key).export({ type: "spki", format: "pem" })
        : node.createPrivateKey(key).export({ type: "pkcs8", format: "pem" });
    return typeof exported === "string" ? exported : new TextDecoder().decode(exported);
  } catch (error) {
    throw new TypeError(
      `JWTService: the ${role} (a ${format} PEM) cannot be read (encrypted or malformed?); \`${command}\` converts a readable one.`,
      { cause: error },
    );
  }
}

/** What a key is: its family and, for EC and OKP keys, its curve; for CryptoKeys, the bound algorithm. */
interface KeyKind {
  /** "RSA", "RSA-PSS", "EC", "OKP", "oct", or null when it cannot be told without importing it. */
  type: string | null;
  /** P-256, Ed25519, … */
  curve?: string;
  /** A CryptoKey's WebCrypto algorithm and hash, which bind it to one JWS algorithm. */
  webCrypto?: { name: string; hash?: string };
}

/**
 * Refuses, when the service is built, a key that cannot serve `algorithm` (ES384 with a P-256 key, RS256
 * with an EC key, EdDSA with an RSA key, …), naming both. Keys whose kind cannot be told here (a PEM that
 * does not parse) are left to the import, which reports them.
 *
 * @throws TypeError "JWTService: ES384 needs an EC P-384 key, but the signingKey is an EC P-256 key."
 */
export function checkKeyFits(algorithm: JWTAlgorithm, key: JWTKey, role: string): void {
  if (key instanceof Uint8Array) {
    if (algorithm.startsWith("HS")) return;
    throw new TypeError(
      `JWTService: the ${role} of ${algorithm} must be a PEM, JWK or CryptoKey (not bytes).`,
    );
  }
  const kind = kindOf(key);
  if (kind.type === null) return;
  const wanted = WANTED[algorithm.slice(0, 2)] ?? WANTED[algorithm]!;
  const curves = wanted.curves?.(algorithm);
  const fits = kind.webCrypto
    ? fitsCryptoKey(algorithm, kind.webCrypto, kind.curve)
    : wanted.types.includes(kind.type) && (curves === undefined || curves.includes(kind.curve ?? ""));
  if (fits) return;
  const needed: KeyKind = kind.webCrypto
    ? { type: null, webCrypto: cryptoKeyFor(algorithm), curve: CURVE_OF[algorithm] }
    : { type: wanted.types[0]!, curve: curves?.join(" or ") };
  throw new TypeError(
    `JWTService: ${algorithm} needs ${describe(needed)}, but the ${role} is ${describe(kind)}.`,
  );
}

const CURVE_OF: Partial<Record<JWTAlgorithm, string>> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };

const WANTED: Record<string, { types: string[]; curves?: (algorithm: JWTAlgorithm) => string[] }> = {
  HS: { types: ["oct"] },
  RS: { types: ["RSA"] },
  PS: { types: ["RSA", "RSA-PSS"] },
  ES: { types: ["EC"], curves: (algorithm) => [CURVE_OF[algorithm]!] },
  EdDSA: { types: ["OKP"], curves: () => ["Ed25519", "Ed448"] },
};

function describe(kind: KeyKind): string {
  if (kind.webCrypto) {
    const { name, hash } = kind.webCrypto;
    return `a CryptoKey for ${[name, kind.curve, hash].filter(Boolean).join(" ")}`;
  }
  if (kind.type === "oct") return "an HMAC secret";
  if (kind.type === "EC") return `an EC ${kind.curve ?? "(unknown curve)"} key`;
  if (kind.type === "OKP") return `an ${kind.curve ?? "OKP"} key`;
  return `an ${kind.type} key`;
}

// The WebCrypto algorithm (and hash) a CryptoKey must be bound to: RS256 needs RSASSA-PKCS1-v1_5 with SHA-256.
function cryptoKeyFor(algorithm: JWTAlgorithm): { name: string; hash?: string } {
  const hash = `SHA-${algorithm.slice(2)}`;
  const name = { HS: "HMAC", RS: "RSASSA-PKCS1-v1_5", PS: "RSA-PSS", ES: "ECDSA" }[algorithm.slice(0, 2)];
  if (name === undefined) return { name: "Ed25519 or Ed448" };
  return name === "ECDSA" ? { name } : { name, hash };
}

function fitsCryptoKey(
  algorithm: JWTAlgorithm,
  key: { name: string; hash?: string },
  curve?: string,
): boolean {
  if (algorithm === "EdDSA") {
    return key.name === "Ed25519" || key.name === "Ed448" || (key.name === "EdDSA" && curve !== undefined);
  }
  const wanted = cryptoKeyFor(algorithm);
  return key.name === wanted.name && key.hash === wanted.hash && curve === CURVE_OF[algorithm];
}

function kindOf(key: Exclude<JWTKey, Uint8Array>): KeyKind {
  if (typeof key === "string") return pemKind(key);
  if (typeof CryptoKey !== "undefined" && key instanceof CryptoKey) {
    const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name?: string } };
    const type =
      { HMAC: "oct", ECDSA: "EC", "RSA-PSS": "RSA", "RSASSA-PKCS1-v1_5": "RSA" }[algorithm.name] ?? "OKP";
    const curve = algorithm.namedCurve ?? (type === "OKP" ? algorithm.name : undefined);
    const kind: KeyKind = { type, webCrypto: { name: algorithm.name, hash: algorithm.hash?.name } };
    if (curve !== undefined) kind.curve = curve;
    return kind;
  }
  const jwk = key as { kty?: unknown; crv?: unknown };
  if (typeof jwk.kty !== "string") return { type: null };
  return typeof jwk.crv === "string" ? { type: jwk.kty, curve: jwk.crv } : { type: jwk.kty };
}

// --- PEM: the algorithm identifier of a PKCS#8, SPKI or X.509 key, read from its DER (RFC 5208, 5280).

const OIDS: Record<string, KeyKind> = {
  "2a864886f70d010101": { type: "RSA" },
  "2a864886f70d01010a": { type: "RSA-PSS" },
  "2b6570": { type: "OKP", curve: "Ed25519" },
  "2b6571": { type: "OKP", curve: "Ed448" },
  "2b656e": { type: "OKP", curve: "X25519" },
  "2b656f": { type: "OKP", curve: "X448" },
};
const EC_PUBLIC_KEY = "2a8648ce3d0201";
const CURVES: Record<string, string> = {
  "2a8648ce3d030107": "P-256",
  "2b81040022": "P-384",
  "2b81040023": "P-521",
  "2b8104000a": "secp256k1",
};

function pemKind(text: string): KeyKind {
  const match =
    /-----BEGIN (PRIVATE KEY|PUBLIC KEY|CERTIFICATE)-----([A-Za-z0-9+/=\s]+)-----END \1-----/.exec(text);
  if (match === null) return { type: null };
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(match[2]!.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return { type: null };
  }
  const outer = children(der, 0);
  let algorithmId: Tlv | undefined;
  if (match[1] === "PRIVATE KEY")
    algorithmId = outer?.[1]; // version, AlgorithmIdentifier, key
  else if (match[1] === "PUBLIC KEY")
    algorithmId = outer?.[0]; // AlgorithmIdentifier, key
  else {
    const tbs = outer?.[0] === undefined ? null : children(der, outer[0].at);
    // tbsCertificate: [0] version (optional), serial, signature, issuer, validity, subject, SPKI
    const fields = tbs?.[0]?.tag === 0xa0 ? tbs.slice(1) : tbs;
    const spki = fields?.[5] === undefined ? null : children(der, fields[5].at);
    algorithmId = spki?.[0];
  }
  const parts = algorithmId === undefined ? null : children(der, algorithmId.at);
  if (parts?.[0]?.tag !== 0x06) return { type: null };
  const oid = hex(der, parts[0]);
  if (oid !== EC_PUBLIC_KEY) return OIDS[oid] ?? { type: `unknown (OID ${oid})` };
  const curve = parts[1]?.tag === 0x06 ? CURVES[hex(der, parts[1])] : undefined;
  return { type: "EC", curve: curve ?? "(unknown curve)" };
}

/** One DER element: its tag, where it starts, and where its contents start and end. */
interface Tlv {
  tag: number;
  at: number;
  start: number;
  end: number;
}

function element(der: Uint8Array, at: number): Tlv | null {
  if (at + 2 > der.length) return null;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3 || start + bytes > der.length) return null;
    length = 0;
    for (let i = 0; i < bytes; i++) length = (length << 8) | der[start + i]!;
    start += bytes;
  }
  const end = start + length;
  return end > der.length ? null : { tag, at, start, end };
}

// The elements inside the constructed element at `at` (a SEQUENCE or a context tag), or null.
function children(der: Uint8Array, at: number): Tlv[] | null {
  const parent = element(der, at);
  if (parent === null || (parent.tag & 0x20) === 0) return null;
  const list: Tlv[] = [];
  for (let i = parent.start; i < parent.end; ) {
    const child = element(der, i);
    if (child === null || child.end > parent.end) return null;
    list.push(child);
    i = child.end;
  }
  return list;
}

function hex(der: Uint8Array, tlv: Tlv): string {
  let out = "";
  for (let i = tlv.start; i < tlv.end; i++) out += der[i]!.toString(16).padStart(2, "0");
  return out;
}
