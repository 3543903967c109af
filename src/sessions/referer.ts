/**
 * The `Referer` as Django's CSRF check reads it: Python's `urllib.parse.urlsplit`, whose `ValueError`s
 * (an unmatched bracket, a bracketed host that is not IPv6, a netloc changed by NFKC) make
 * `REASON_MALFORMED_REFERER`.
 * @internal
 */

/**
 * The parts of a URL the CSRF check uses, and `geturl()`, which the bad-Referer reason quotes.
 * @internal
 * @example
 * ```ts
 * const split: SplitReferer | null = splitReferer("HTTPS://evil.example/?"); // url "https://evil.example/"
 * ```
 */
export interface SplitReferer {
  /** Lower-cased, or `""` when the text has none. */
  readonly scheme: string;
  /** The authority after `//`, as written (user info and port included); `""` when there is none. */
  readonly netloc: string;
  /** Python's `geturl()` when `netloc` is not empty: the URL put back together (an empty `?` or `#` dropped). */
  readonly url: string;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * `urlsplit(text)`, or `null` where Python raises `ValueError`.
 * @internal
 * @example
 * ```ts
 * splitReferer("https://["); // null: Django's "Referer checking failed - Referer is malformed."
 * splitReferer("https://[::1]:8443/x"); // { scheme: "https", netloc: "[::1]:8443", url: "https://[::1]:8443/x" }
 * ```
 */
export function splitReferer(text: string): SplitReferer | null {
  // urlsplit strips leading C0 controls and spaces, and removes every tab, CR and LF (WHATWG).
  let rest = text.replace(/^[\x00-\x20]+/, "").replace(/[\t\r\n]/g, "");
  let scheme = "";
  const colon = rest.indexOf(":");
  if (colon > 0 && SCHEME.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = "";
  if (rest.startsWith("//")) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end === -1 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end === -1 ? "" : rest.slice(end + 2);
    const open = netloc.includes("[");
    const close = netloc.includes("]");
    if (open !== close) return null; // "Invalid IPv6 URL"
    if (open && !bracketedNetlocIsValid(netloc)) return null;
  }
  let fragment = "";
  const hash = rest.indexOf("#");
  if (hash !== -1) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = "";
  const question = rest.indexOf("?");
  if (question !== -1) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  if (!netlocSurvivesNfkc(netloc)) return null;
  let url = netloc !== "" ? `//${netloc}${rest}` : rest;
  if (scheme !== "") url = `${scheme}:${url}`;
  if (query !== "") url += `?${query}`;
  if (fragment !== "") url += `#${fragment}`;
  return { scheme, netloc, url };
}

// CPython's _check_bracketed_netloc: only "[host]" or "[host]:port" after the user info, and the host an
// IPv6 address (with an optional %scope) or an IPvFuture one; an IPv4 address in brackets is refused.
function bracketedNetlocIsValid(netloc: string): boolean {
  const hostAndPort = netloc.slice(netloc.lastIndexOf("@") + 1);
  const open = hostAndPort.indexOf("[");
  let hostname: string;
  if (open === -1) {
    const portColon = hostAndPort.indexOf(":");
    hostname = portColon === -1 ? hostAndPort : hostAndPort.slice(0, portColon);
  } else {
    if (open > 0) return false;
    const close = hostAndPort.indexOf("]");
    hostname = close === -1 ? hostAndPort.slice(1) : hostAndPort.slice(1, close);
    const port = close === -1 ? "" : hostAndPort.slice(close + 1);
    if (port !== "" && !port.startsWith(":")) return false;
  }
  if (/^[vV]/.test(hostname)) return /^[vV][a-fA-F0-9]+\..+$/s.test(hostname);
  return isIPv6(hostname);
}

// ipaddress.IPv6Address: the WHATWG IPv6 parser agrees on the address; the scope id (after "%") is any
// non-empty text without another "%".
function isIPv6(text: string): boolean {
  const percent = text.indexOf("%");
  const address = percent === -1 ? text : text.slice(0, percent);
  if (percent !== -1 && (percent === text.length - 1 || text.indexOf("%", percent + 1) !== -1)) return false;
  if (!/^[0-9A-Fa-f:.]+$/.test(address)) return false;
  try {
    new URL(`http://[${address}]/`);
    return true;
  } catch {
    return false;
  }
}

// CPython's _checknetloc: a non-ASCII netloc whose NFKC form holds "/", "?", "#", "@" or ":" (U+2100
// "℀" → "a/c") would point somewhere else once a client normalises it.
function netlocSurvivesNfkc(netloc: string): boolean {
  if (/^[\x00-\x7f]*$/.test(netloc)) return true;
  const bare = netloc.replace(/[@:#?]/g, "");
  const normalized = bare.normalize("NFKC");
  return normalized === bare || !/[/?#@:]/.test(normalized);
}
