/**
 * Django-compatible CSRF protection: the `csrftoken` cookie, the `X-CSRFToken` header, the
 * `csrfmiddlewaretoken` form field, masked (64) and unmasked (32) tokens, the Origin and Referer checks,
 * and Django's reason strings.
 */

import { timingSafeEqual } from "../core/crypto.js";
import { type Duration, parseDuration } from "../core/duration.js";
import type { AuthRequest } from "../core/scheme.js";
import { readCookie, serializeCookie } from "./cookies.js";
import {
  CSRF_TOKEN_LENGTH,
  djangoHeaderName,
  pythonRepr,
  tokenFormatError,
  unmaskCsrfToken,
} from "./csrf-tokens.js";
import { splitReferer } from "./referer.js";

/** Methods that never need a CSRF token (RFC 9110 safe methods), matched case-sensitively as Django does. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * Django's CSRF failure reasons, verbatim. `CSRF Failed: ` + one of these is the 403 detail.
 *
 * @example
 * ```ts
 * if (reason === CSRF_REASONS.noCookie) console.log("fetch /api/session/csrf/ first");
 * ```
 */
export const CSRF_REASONS = {
  /** `REASON_BAD_ORIGIN`: an `Origin` that is neither the request's own nor trusted. */
  badOrigin: (origin: string): string =>
    `Origin checking failed - ${origin} does not match any trusted origins.`,
  /** `REASON_NO_REFERER`: an HTTPS request with neither `Origin` nor `Referer`. */
  noReferer: "Referer checking failed - no Referer.",
  /** `REASON_BAD_REFERER`: a `Referer` from another host (quoted as Python's `geturl()` writes it). */
  badReferer: (referer: string): string =>
    `Referer checking failed - ${referer} does not match any trusted origins.`,
  /** `REASON_MALFORMED_REFERER`: a `Referer` that is not a URL (`https://[`), or has no scheme or host. */
  malformedReferer: "Referer checking failed - Referer is malformed.",
  /** `REASON_INSECURE_REFERER`: an `http:` Referer on an HTTPS request. */
  insecureReferer: "Referer checking failed - Referer is insecure while host is secure.",
  /** `REASON_NO_CSRF_COOKIE`: no (single) `csrftoken` cookie. */
  noCookie: "CSRF cookie not set.",
  /** `REASON_CSRF_TOKEN_MISSING`: neither the form field nor the header. */
  tokenMissing: "CSRF token missing.",
  /**
   * `_bad_token_message` (Django 4.1+): a token that is malformed (`"has incorrect length"`, `"has invalid
   * characters"`) or `"incorrect"` (well-formed, for another secret), naming where it came from: the form
   * field (`null`: `CSRF token from POST incorrect.`) or the header, as Django names its
   * `CSRF_HEADER_NAME` (`CSRF token from the 'X-Csrftoken' HTTP header incorrect.`).
   */
  badToken: (problem: string, headerName: string | null): string =>
    `CSRF token from ${headerName === null ? "POST" : `the ${pythonRepr(djangoHeaderName(headerName))} HTTP header`} ${problem}.`,
  /** Not Django's: `Sec-Fetch-Site: cross-site` on an unsafe request. */
  crossSite: "Sec-Fetch-Site checking failed - cross-site request.",
} as const;

/**
 * CSRF settings: Django's `CSRF_*` settings in camelCase, with Django's defaults.
 *
 * @example
 * ```ts
 * const csrf: CsrfOptions = { trustedOrigins: ["https://app.example.com", "https://*.example.com"] };
 * ```
 */
export interface CsrfOptions {
  /**
   * Origins trusted besides the request's own (Django's `CSRF_TRUSTED_ORIGINS`): a scheme and host,
   * with an optional port, such as `"https://app.example.com"`; `"https://*.example.com"` also trusts
   * every subdomain.
   */
  trustedOrigins?: readonly string[];
  /** The cookie holding the secret (Django's `CSRF_COOKIE_NAME`). Default `"csrftoken"`. */
  cookieName?: string;
  /** The header carrying the token (Django's `CSRF_HEADER_NAME`). Default `"X-CSRFToken"`. */
  headerName?: string;
  /** The form field carrying the token. Default `"csrfmiddlewaretoken"`. */
  fieldName?: string;
  /**
   * Lifetime of the cookie (Django's `CSRF_COOKIE_AGE`): seconds or `"52w"`. Default one year:
   * 31,449,600 seconds. `null` (Django's `None`) makes a browser-session cookie, without `Max-Age` or
   * `Expires`, gone when the browser closes.
   */
  cookieAge?: Duration | null;
}

/** What {@link CsrfPolicy.check} needs besides the request. */
export interface CsrfCheckInput {
  /** The `csrfmiddlewaretoken` form field, when the body was a form; `null`/absent otherwise. */
  formToken?: string | null;
  /**
   * The secret the request's session is bound to. When given, the cookie must hold exactly this secret,
   * so a cookie planted by a sibling subdomain cannot stand in for the session's own.
   */
  sessionSecret?: string | null;
}

/**
 * The CSRF check (Django's `CsrfViewMiddleware.process_view`, in its order) and the `csrftoken` cookie.
 * Sessions build one from {@link CsrfOptions}; use it directly to protect your own cookie-authenticated
 * endpoints.
 *
 * @example
 * ```ts
 * const csrf = new CsrfPolicy({ trustedOrigins: ["https://app.example.com"] }, { secure: true });
 * const reason = csrf.check(request);
 * if (reason !== null) throw new PermissionDenied(`CSRF Failed: ${reason}`);
 * ```
 */
export class CsrfPolicy {
  /** The cookie holding the secret. */
  readonly cookieName: string;
  /** The header carrying the token, as configured (`"X-CSRFToken"`). */
  readonly headerName: string;
  /** The form field carrying the token. */
  readonly fieldName: string;
  readonly #cookieAge: number | null;
  readonly #secure: boolean;
  readonly #exactOrigins: ReadonlySet<string>;
  /** scheme → domain patterns (`.example.com`), from `scheme://*.example.com`. */
  readonly #wildcardOrigins: ReadonlyMap<string, readonly string[]>;
  /** Hosts (with `.example.com` patterns) for the Referer check. */
  readonly #trustedHosts: readonly string[];

  /**
   * @param options - Django's CSRF settings
   * @param cookie - `secure`: whether the cookie is `Secure` (default true)
   * @throws TypeError for a trusted origin without a scheme, or a bad cookie or header name
   */
  constructor(options: CsrfOptions = {}, cookie: { secure?: boolean } = {}) {
    this.cookieName = options.cookieName ?? "csrftoken";
    this.headerName = options.headerName ?? "X-CSRFToken";
    this.fieldName = options.fieldName ?? "csrfmiddlewaretoken";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(this.headerName)) {
      throw new TypeError(`Invalid CSRF header name: ${JSON.stringify(this.headerName)}.`);
    }
    // Only undefined takes the default: null is Django's CSRF_COOKIE_AGE = None, a session cookie.
    this.#cookieAge =
      options.cookieAge === null ? null : parseDuration(options.cookieAge ?? 31_449_600, "csrf.cookieAge");
    this.#secure = cookie.secure ?? true;
    serializeCookie(this.cookieName, "", { maxAge: 0, httpOnly: false, secure: this.#secure });

    const exact = new Set<string>();
    const wildcard = new Map<string, string[]>();
    const hosts: string[] = [];
    for (const origin of options.trustedOrigins ?? []) {
      const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]+)$/i.exec(origin);
      if (match === null) {
        throw new TypeError(
          `trustedOrigins entries must start with a scheme and hold no path, such as "https://example.com" (got ${JSON.stringify(origin)}).`,
        );
      }
      const scheme = match[1]!.toLowerCase();
      const netloc = match[2]!.toLowerCase();
      // `*.example.com` is the pattern `.example.com`: the domain and its subdomains.
      const host = netloc.startsWith("*") ? netloc.slice(1) : netloc;
      hosts.push(host);
      if (host === netloc) exact.add(`${scheme}://${netloc}`);
      else wildcard.set(scheme, [...(wildcard.get(scheme) ?? []), host]);
    }
    this.#exactOrigins = exact;
    this.#wildcardOrigins = wildcard;
    this.#trustedHosts = hosts;
  }

  /**
   * Runs Django's checks on an unsafe request, in Django's order: Origin (or, without one, Fetch
   * Metadata, then the Referer on HTTPS), then the cookie secret, then the token from the form field
   * or the header. Safe methods (`GET`, `HEAD`, `OPTIONS`, `TRACE`, case-sensitive) pass at once.
   *
   * @param request - the request
   * @param input - the form token, and the secret the session is bound to
   * @returns `null` when the request passes, else Django's reason (see {@link CSRF_REASONS})
   * @example
   * ```ts
   * const reason = policy.check(request, { formToken: form.get("csrfmiddlewaretoken") as string | null });
   * ```
   */
  check(request: AuthRequest, input: CsrfCheckInput = {}): string | null {
    if (SAFE_METHODS.has(request.method)) return null;
    const own = requestOrigin(request);
    const origin = request.headers.get("origin");
    const fetchSite = request.headers.get("sec-fetch-site");
    if (origin !== null) {
      const trusted = this.#isTrustedOrigin(origin);
      if (!trusted && origin !== own?.origin) return CSRF_REASONS.badOrigin(origin);
      // A browser says cross-site only when the Origin is another site: believe it unless the origin
      // was explicitly trusted.
      if (!trusted && fetchSite === "cross-site") return CSRF_REASONS.crossSite;
    } else if (fetchSite === "cross-site") {
      return CSRF_REASONS.crossSite;
    } else if (own?.secure) {
      const reason = this.#checkReferer(request, own.host);
      if (reason !== null) return reason;
    }
    return this.#checkToken(request, input);
  }

  /**
   * The secret in the request's CSRF cookie, unmasked, or `null` when it is absent or malformed.
   *
   * @param request - the request
   * @returns a 32-character secret or `null`
   * @example
   * ```ts
   * const secret = policy.readSecret(request) ?? newCsrfSecret();
   * ```
   */
  readSecret(request: AuthRequest): string | null {
    const read = readCookie(request, this.cookieName);
    if (read === null || !("value" in read) || tokenFormatError(read.value) !== null) return null;
    return read.value.length === CSRF_TOKEN_LENGTH ? unmaskCsrfToken(read.value) : read.value;
  }

  /**
   * The `Set-Cookie` line that stores a secret: readable by scripts (the page copies it into the
   * header), `SameSite=Lax`, `Path=/`, `Secure` unless configured off; `Max-Age` and `Expires` from
   * `cookieAge`, neither when it is `null`.
   *
   * @param secret - a 32-character secret
   * @returns the header value
   * @example
   * ```ts
   * headers.append("Set-Cookie", policy.cookie(newCsrfSecret()));
   * ```
   */
  cookie(secret: string): string {
    return serializeCookie(this.cookieName, secret, {
      maxAge: this.#cookieAge,
      httpOnly: false,
      secure: this.#secure,
    });
  }

  #isTrustedOrigin(origin: string): boolean {
    if (this.#exactOrigins.has(origin)) return true;
    const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)$/i.exec(origin);
    if (match === null) return false;
    const patterns = this.#wildcardOrigins.get(match[1]!.toLowerCase());
    return patterns?.some((pattern) => isSameDomain(match[2]!, pattern)) ?? false;
  }

  #checkReferer(request: AuthRequest, host: string): string | null {
    const referer = request.headers.get("referer");
    if (referer === null) return CSRF_REASONS.noReferer;
    // Django: urlsplit raising ValueError ("https://[") or no scheme or netloc is a malformed Referer.
    const split = splitReferer(referer);
    if (split === null || split.scheme === "" || split.netloc === "") return CSRF_REASONS.malformedReferer;
    if (split.scheme !== "https") return CSRF_REASONS.insecureReferer;
    const { netloc } = split;
    if (this.#trustedHosts.some((pattern) => isSameDomain(netloc, pattern))) return null;
    return isSameDomain(netloc, host) ? null : CSRF_REASONS.badReferer(split.url);
  }

  #checkToken(request: AuthRequest, input: CsrfCheckInput): string | null {
    const read = readCookie(request, this.cookieName);
    if (read === null || !("value" in read)) return CSRF_REASONS.noCookie;
    const cookieError = tokenFormatError(read.value);
    if (cookieError !== null) return `CSRF cookie ${cookieError}.`;
    const secret = read.value.length === CSRF_TOKEN_LENGTH ? unmaskCsrfToken(read.value) : read.value;

    let token = request.method === "POST" ? (input.formToken ?? "") : "";
    // Where the token came from, for the reason: the form field (null) or the header.
    let source: string | null = null;
    if (token === "") {
      const header = request.headers.get(this.headerName);
      if (header === null) return CSRF_REASONS.tokenMissing;
      token = header;
      source = this.headerName;
    }
    const tokenError = tokenFormatError(token);
    if (tokenError !== null) return CSRF_REASONS.badToken(tokenError, source);
    const unmasked = token.length === CSRF_TOKEN_LENGTH ? unmaskCsrfToken(token) : token;
    // Both comparisons always run, so the time does not tell which one failed.
    const matches = timingSafeEqual(unmasked, secret);
    const bound = input.sessionSecret == null || timingSafeEqual(secret, input.sessionSecret);
    return matches && bound ? null : CSRF_REASONS.badToken("incorrect", source);
  }
}

/** Django's `is_same_domain`: `.example.com` matches example.com and its subdomains. */
function isSameDomain(host: string, pattern: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  if (p === "") return false;
  return p.startsWith(".") ? h.endsWith(p) || h === p.slice(1) : h === p;
}

/** The request's own origin, from its absolute URL, else from `Host` (then assumed plain http). */
function requestOrigin(request: AuthRequest): { origin: string; host: string; secure: boolean } | null {
  try {
    const url = /^https?:\/\//i.test(request.url)
      ? new URL(request.url)
      : new URL(`http://${request.headers.get("host") ?? ""}`);
    return { origin: url.origin, host: url.host, secure: url.protocol === "https:" };
  } catch {
    return null;
  }
}
