/**
 * JWS signatures decoded into buffers a key's verifier reuses, for the node:crypto path.
 * @internal
 */

/** node:buffer's Buffer, as used here. */
export interface ScratchBuffer extends Uint8Array {
  write(text: string, offset: number, encoding: "base64url"): number;
  subarray(start: number, end: number): ScratchBuffer;
}

/** Allocates a zeroed Buffer (node:buffer's `Buffer.alloc`). */
export type AllocBuffer = (size: number) => ScratchBuffer;

/**
 * Decodes base64url signatures of one exact byte length into one buffer, reused by every call.
 *
 * The verification that reads the bytes is synchronous and finishes before the next call can start,
 * so nothing else ever sees the buffer; allocating a Buffer per token cost ~1% of an ECDSA check.
 * A text of any other length answers null: a signature of the wrong length is never valid.
 *
 * @example
 * ```ts
 * const rs256 = new FixedSignature(256, (size) => Buffer.alloc(size));
 * const bytes = rs256.read(token.slice(token.lastIndexOf(".") + 1)); // null: not 256 bytes
 * ```
 */
export class FixedSignature {
  readonly #bytes: ScratchBuffer;
  readonly #characters: number;

  /**
   * @param length - the signature's byte length (RSA: the modulus; ECDSA: twice the field size)
   * @param alloc - node:buffer's `Buffer.alloc`
   */
  constructor(length: number, alloc: AllocBuffer) {
    this.#bytes = alloc(length);
    this.#characters = Math.ceil((length * 4) / 3); // unpadded base64url
  }

  /** The decoded signature, valid until the next call; null for a text of another length. */
  read(text: string): ScratchBuffer | null {
    // The caller has checked the text is canonical base64url, so this length decodes to exactly the
    // buffer's length; a longer text would be cut short by write(), so it never gets that far.
    if (text.length !== this.#characters) return null;
    this.#bytes.write(text, 0, "base64url");
    return this.#bytes;
  }
}

/**
 * ECDSA: a JWS signature (r ‖ s, fixed length, IEEE P1363) as the DER `SEQUENCE { INTEGER r, INTEGER s }`
 * OpenSSL reads, built in a reused buffer. Handing node:crypto DER directly measured ~2% fewer
 * instructions per ES256 check than `dsaEncoding: "ieee-p1363"`, which converts through BIGNUMs.
 *
 * @example
 * ```ts
 * const es256 = new EcdsaDer(64, (size) => Buffer.alloc(size));
 * createVerify("sha256").update(input).verify(publicKey, es256.read(signature)!);
 * ```
 */
export class EcdsaDer {
  readonly #raw: FixedSignature;
  readonly #half: number;
  readonly #der: ScratchBuffer;
  /** A view of the DER buffer per encoded length (a few values), made once each. */
  readonly #views: (ScratchBuffer | undefined)[] = [];

  /**
   * @param length - the P1363 length: 64 (ES256), 96 (ES384), 132 (ES512)
   * @param alloc - node:buffer's `Buffer.alloc`
   */
  constructor(length: number, alloc: AllocBuffer) {
    this.#raw = new FixedSignature(length, alloc);
    this.#half = length / 2;
    this.#der = alloc(length + 9); // SEQUENCE (up to 3 bytes) and two INTEGERs (2 + a sign byte each)
  }

  /** The DER signature, valid until the next call; null for a signature text of the wrong length. */
  read(text: string): ScratchBuffer | null {
    const raw = this.#raw.read(text);
    if (raw === null) return null;
    const half = this.#half;
    const der = this.#der;
    // Minimal INTEGERs: leading zero bytes dropped (one kept for zero), a 0x00 before a high bit.
    let r = 0;
    while (r < half - 1 && raw[r] === 0) r++;
    let s = half;
    while (s < 2 * half - 1 && raw[s] === 0) s++;
    const rLength = half - r + (raw[r]! >= 0x80 ? 1 : 0);
    const sLength = 2 * half - s + (raw[s]! >= 0x80 ? 1 : 0);
    const body = 4 + rLength + sLength;
    let at = 0;
    der[at++] = 0x30;
    if (body >= 0x80) der[at++] = 0x81; // ES512's long form (body < 256 always)
    der[at++] = body;
    at = integer(der, at, raw, r, half, rLength);
    at = integer(der, at, raw, s, 2 * half, sLength);
    let view = this.#views[at];
    if (view === undefined) this.#views[at] = view = der.subarray(0, at);
    return view;
  }
}

function integer(
  der: Uint8Array,
  at: number,
  raw: Uint8Array,
  from: number,
  to: number,
  length: number,
): number {
  der[at++] = 0x02;
  der[at++] = length;
  if (length > to - from) der[at++] = 0;
  for (let i = from; i < to; i++) der[at++] = raw[i]!;
  return at;
}
