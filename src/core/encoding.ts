/**
 * Byte and text encodings shared by the schemes and hashers, without Node's Buffer.
 * @internal
 */

const utf8Encoder = new TextEncoder();
// `ignoreBOM: true` keeps a leading U+FEFF, as Python's "utf-8" codec does; `fatal` makes bad bytes throw.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// RFC 4648 §4, canonical form only: groups of four, at most two "=" at the very end.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_UNPADDED = /^[A-Za-z0-9+/]*$/;

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
    text += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
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
 * Strict standard base64 decoding: `null` unless `text` is canonical padded base64
 * (or, with `padded: false`, base64 without padding, as PHC strings write it).
 */
export function decodeBase64(text: string, padded = true): Uint8Array | null {
  if (padded ? !BASE64.test(text) : !BASE64_UNPADDED.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** True when `text` holds no lone surrogate, so its UTF-8 encoding is lossless. */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
