/**
 * Small cryptographic helpers: random strings, constant-time comparison, and a guarded
 * handle on node:crypto where the runtime has one (Node, Bun, Deno), never a static import.
 * @internal
 */

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * A random string over [a-zA-Z0-9] from the platform CSPRNG, without modulo bias
 * (Django's `get_random_string`).
 */
export function randomString(length: number, alphabet: string = ALPHANUMERIC): string {
  // Reject bytes at or above the largest multiple of the alphabet size, so every character is equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  const buffer = new Uint8Array(Math.max(16, length * 2));
  while (out.length < length) {
    crypto.getRandomValues(buffer);
    for (let i = 0; i < buffer.length && out.length < length; i++) {
      const byte = buffer[i]!;
      if (byte < limit) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** `n` random bytes from the platform CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * Compares two strings in time that depends only on their lengths (Django's
 * `constant_time_compare`). Unequal lengths answer false at once: the length is not secret.
 */
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  if (typeof a === "string" && typeof b === "string") {
    for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  } else if (typeof a !== "string" && typeof b !== "string") {
    for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  } else {
    return false;
  }
  return diff === 0;
}

/** The parts of node:crypto portcullis may use, typed here so the core compiles without @types/node. */
export interface NodeCrypto {
  scrypt?(
    password: Uint8Array,
    salt: Uint8Array,
    keylen: number,
    options: { N: number; r: number; p: number; maxmem: number },
    callback: (error: Error | null, key: Uint8Array) => void,
  ): void;
  argon2?(
    algorithm: "argon2d" | "argon2i" | "argon2id",
    parameters: {
      message: Uint8Array;
      nonce: Uint8Array;
      parallelism: number;
      tagLength: number;
      memory: number;
      passes: number;
    },
    callback: (error: Error | null, key: Uint8Array) => void,
  ): void;
  hash?(algorithm: string, data: string | Uint8Array, outputEncoding: "hex"): string;
  createHmac?(
    algorithm: string,
    key: NodeKeyObject,
  ): { update(data: string): { digest(encoding: "base64url"): string } };
  sign?(algorithm: string | null, data: Uint8Array, key: NodeKeyObject | NodeSignKey): Uint8Array;
  verify?(
    algorithm: string | null,
    data: Uint8Array,
    key: NodeKeyObject | NodeSignKey,
    signature: Uint8Array,
  ): boolean;
  KeyObject?: { from(key: CryptoKey): NodeKeyObject };
}

/** node:crypto's KeyObject, opaque here. */
export interface NodeKeyObject {
  readonly type: string;
}

/** node:crypto's sign/verify key options (RSA-PSS padding, ECDSA signature encoding). */
export interface NodeSignKey {
  key: NodeKeyObject;
  padding?: number;
  saltLength?: number;
  dsaEncoding?: "der" | "ieee-p1363";
}

/**
 * node:crypto when the runtime offers `process.getBuiltinModule` (Node >= 20.16, Bun, Deno), else null.
 * Looked up once.
 */
export function getNodeCrypto(): NodeCrypto | null {
  return builtin<NodeCrypto>("node:crypto");
}

/** The parts of node:buffer portcullis may use. */
export interface NodeBufferModule {
  Buffer: {
    from(text: string, encoding: "base64url" | "utf8"): NodeBufferBytes;
    from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBufferBytes;
  };
  isUtf8?(bytes: Uint8Array): boolean;
}

/** A node:buffer Buffer, as portcullis reads it. */
export type NodeBufferBytes = Uint8Array & { toString(encoding: "utf8" | "base64url"): string };

/** node:buffer where the runtime offers `process.getBuiltinModule`, else null. Looked up once. */
export function getNodeBuffer(): NodeBufferModule | null {
  return builtin<NodeBufferModule>("node:buffer");
}

const builtins = new Map<string, unknown>();

// A Node built-in without a static import, so the core still loads where there is none (workers, browsers).
function builtin<T>(id: string): T | null {
  if (!builtins.has(id)) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    let module: unknown = null;
    try {
      module = proc?.getBuiltinModule?.(id) ?? null;
    } catch {
      module = null;
    }
    builtins.set(id, module);
  }
  return builtins.get(id) as T | null;
}
