/**
 * Byte and text encodings shared by the schemes and hashers, without Node's Buffer.
 * @internal
 */

const utf8Encoder = new TextEncoder();
// RFC 4648 §4 alphabet; with a length that is a multiple of 4, at most two "=" at the end is canonical.
const BASE64_PADDED = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_BARE = /^[A-Za-z0-9+/]*$/;
// `ignoreBOM: true` keeps a leading U+FEFF, as Python's "utf-8" codec does; `fatal` makes bad bytes throw.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string (lone surrogates become U+FFFD). */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 decoding: `null` when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** ISO-8859-1 decoding: every byte is the code point of the same value. */
export function decodeLatin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x2000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000) as unknown as number[]);
  }
  return text;
}

/** Standard base64 (RFC 4648 §4) with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return btoa(decodeLatin1(bytes));
}

/** Standard base64 without the trailing "=" padding (the PHC string format). */
export function encodeBase64NoPad(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/=+$/, "");
}

/** URL-safe base64 without padding (RFC 4648 §5). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64NoPad(bytes).replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Strict standard base64 decoding to a binary string (one char per byte, i.e. latin-1): `null` unless
 * `text` is canonical padded base64 (or, with `padded: false`, base64 without padding, as PHC writes it).
 */
export function decodeBase64Binary(text: string, padded = true): string | null {
  if (
    padded
      ? text.length % 4 !== 0 || !BASE64_PADDED.test(text)
      : text.length % 4 === 1 || !BASE64_BARE.test(text)
  ) {
    return null;
  }
  return atob(text);
}

/** Strict standard base64 decoding to bytes; see {@link decodeBase64Binary}. */
export function decodeBase64(text: string, padded = true): Uint8Array | null {
  const binary = decodeBase64Binary(text, padded);
  return binary === null ? null : binaryToBytes(binary);
}

/** The bytes of a binary string (every char code below 256). */
export function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** True when `text` holds no lone surrogate, so its UTF-8 encoding is lossless. */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
