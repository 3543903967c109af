/**
 * Keys for the token service: imported once, selected by `kid`, never taken from a token.
 * @internal
 */
import type { createRemoteJWKSet, JWK, JWTHeaderParameters } from "jose";
import { isJWTAlgorithm, type JWSBackend, nodeBackend, webCryptoBackend } from "./jws-backends.js";
import { checkHmacLength, type ImportedKey, importAll, jose, preparedKeys } from "./key-import.js";
import type { JWTAlgorithm, JWTSettings } from "./settings.js";

/** A key ready to use: the backend that checks and makes its signatures, and the key in its form. */
export interface KeyEntry extends ImportedKey {
  backend: JWSBackend;
  /** The byte length every signature by this key has (RFC 7518 §3.2-3.5, RFC 8037 §3.1). */
  signatureLength: number;
  verifyKey: unknown;
  /** `sign` in the backend's form; null when `sign` is. */
  signKey: unknown;
}

/** What a token header segment decides (see jws.ts): the parsed header and the key it selects. */
export interface HeaderVerdict {
  header: Readonly<Record<string, unknown>>;
  entry: KeyEntry;
}

type RemoteJWKSet = ReturnType<typeof createRemoteJWKSet>;

/** The configured keys, imported lazily once; `select` never consults anything but configuration. */
export class KeyRing {
  readonly #ready: Promise<KeyEntry[]>;
  #loaded: KeyEntry[] | null = null;
  #onlyKey: KeyEntry | null = null;
  readonly #jwkUrl: URL | null;
  #remote: Promise<RemoteJWKSet> | null = null;
  readonly #node: JWSBackend | null;
  readonly signingKid: string | null;
  readonly algorithm: JWTAlgorithm;
  /** jws.ts's bounded cache of header verdicts by segment text; they hold only once the keys are imported. */
  readonly headerVerdicts: Map<string, HeaderVerdict | null> = new Map();

  constructor(settings: JWTSettings<object>) {
    const algorithm = settings.algorithm ?? "HS256";
    if (!isJWTAlgorithm(algorithm))
      throw new TypeError(`Unrecognized algorithm type '${String(algorithm)}'.`);
    checkHmacLength(algorithm, settings.signingKey);
    for (const extra of settings.verifyingKeys ?? []) {
      const alg = extra.algorithm ?? algorithm;
      if (!isJWTAlgorithm(alg)) throw new TypeError(`Unrecognized algorithm type '${String(alg)}'.`);
      checkHmacLength(alg, extra.key);
    }
    // Every key is read and matched with its algorithm now, synchronously: a key that cannot serve
    // its algorithm is a construction error, never a failure at request time.
    settings = preparedKeys(settings, algorithm);
    this.algorithm = algorithm;
    this.signingKid = settings.keyId ?? null;
    // The URL is checked now (a TypeError at construction); jose loads at the first `kid` it must answer.
    this.#jwkUrl = settings.jwkUrl ? new URL(settings.jwkUrl) : null;
    this.#node = settings.useNodeCrypto === false ? null : nodeBackend;
    this.#ready = importAll(settings, algorithm).then((imported) => {
      const entries = imported.map((key) => this.#bind(key));
      this.#loaded = entries;
      // One key without an id and no JWK Set: any string `kid` selects it, as PyJWT and simplejwt ignore
      // the header's kid there. With several keys, or ids, the kid selects and an unknown one is refused.
      this.#onlyKey =
        entries.length === 1 && entries[0]!.kid === null && this.#jwkUrl === null ? entries[0]! : null;
      return entries;
    });
    this.#ready.catch(() => {}); // reported on first use, not as an unhandled rejection
  }

  /** The key that signs tokens issued here. */
  async signing(): Promise<KeyEntry & { sign: CryptoKey }> {
    const main = (await this.#ready)[0]!;
    if (main.sign === null) {
      throw new TypeError(
        "JWTService: the signingKey is a public key, which verifies tokens but cannot sign them; give the private key to issue tokens.",
      );
    }
    return main as KeyEntry & { sign: CryptoKey };
  }

  /**
   * {@link KeyRing.select} without waiting, once the keys are imported and the answer is local:
   * `undefined` when only the async path can answer (keys still importing, or a `kid` for the JWK Set URL).
   */
  trySelect(header: JWTHeaderParameters): KeyEntry | null | undefined {
    const keys = this.#loaded;
    if (keys === null) return undefined;
    const kid = header.kid;
    if (kid === undefined) return keys[0]!; // simplejwt ignores kid: a token without one uses the main key
    if (typeof kid !== "string") return null;
    if (this.#onlyKey !== null) return this.#onlyKey;
    return keys.find((k) => k.kid === kid) ?? (this.#jwkUrl === null ? null : undefined);
  }

  /**
   * The verifying key for a token header: by `kid` among the configured keys (then the JWK Set URL),
   * or the main key when the header has no `kid`. `null` when none matches: the token is invalid.
   */
  async select(header: JWTHeaderParameters): Promise<KeyEntry | null> {
    await this.#ready;
    const local = this.trySelect(header);
    if (local !== undefined) return local;
    // A string `kid` none of the configured keys has, and a JWK Set URL to ask.
    const url = this.#jwkUrl!;
    const kid = header.kid!;
    try {
      this.#remote ??= jose().then((j) => j.createRemoteJWKSet(url));
      const remote = await this.#remote;
      const key = (await remote({ alg: header.alg, kid }, { payload: "", signature: "" })) as CryptoKey;
      return this.#bind({ kid, algorithm: this.algorithm, verify: key, sign: null });
    } catch {
      return null;
    }
  }

  // The key on node:crypto where the runtime (and `useNodeCrypto`) allows, else on WebCrypto.
  #bind(imported: ImportedKey): KeyEntry {
    const { algorithm, verify, sign } = imported;
    const signatureLength = signatureLengthOf(algorithm, verify);
    const node = this.#node;
    if (node !== null) {
      const verifyKey = node.key(algorithm, verify);
      const signKey = sign === null ? null : node.key(algorithm, sign);
      if (verifyKey !== null && (sign === null || signKey !== null))
        return { ...imported, signatureLength, backend: node, verifyKey, signKey };
    }
    const signKey = sign === null ? null : webCryptoBackend.key(algorithm, sign);
    return {
      ...imported,
      signatureLength,
      backend: webCryptoBackend,
      verifyKey: webCryptoBackend.key(algorithm, verify),
      signKey,
    };
  }

  /** The public JWK Set of the asymmetric verifying keys (HMAC secrets are never published). */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys: JWK[] = [];
    for (const entry of await this.#ready) {
      if (entry.algorithm.startsWith("HS")) continue;
      const {
        ext: _ext,
        key_ops: _ops,
        alg: _alg,
        use: _use,
        ...jwk
      } = await crypto.subtle.exportKey("jwk", entry.verify);
      keys.push({
        ...jwk,
        alg: entry.algorithm,
        use: "sig",
        ...(entry.kid === null ? {} : { kid: entry.kid }),
      });
    }
    return { keys };
  }
}

// Some backends take a shorter RSA signature as if left-padded with zeros (Node 24's WebCrypto): every
// signature must have exactly its key's length, so one signature never has two encodings.
function signatureLengthOf(algorithm: JWTAlgorithm, key: CryptoKey): number {
  const bits = Number(algorithm.slice(2));
  if (algorithm.startsWith("HS")) return bits / 8;
  if (algorithm.startsWith("ES")) return 2 * Math.ceil((bits === 512 ? 521 : bits) / 8);
  if (algorithm === "EdDSA") {
    const { name, namedCurve } = key.algorithm as { name: string; namedCurve?: string };
    return name === "Ed448" || namedCurve === "Ed448" ? 114 : 64;
  }
  return Math.ceil((key.algorithm as RsaHashedKeyAlgorithm).modulusLength / 8);
}
