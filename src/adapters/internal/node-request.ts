/**
 * The request view over a Node request (node:http's `IncomingMessage`, or the http2 compatibility
 * API's `Http2ServerRequest`) and its absolute URL, for the Node adapters. Structural types only: no
 * `node:` import, so the portable type check (`"types": []`) covers it.
 * @internal
 */
import type { AuthRequest } from "../../core/scheme.js";

/** What the view reads from a node:http or http2 request. @internal */
export interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly rawHeaders?: readonly string[] | undefined;
  readonly socket?: unknown;
}

/** The request's absolute URL, or a function computing it when first read. @internal */
export type UrlSource = string | (() => string) | undefined;

// Node keeps only the first copy of these in `req.headers` and drops the rest (`IncomingMessage.headers`
// docs); a Fetch `Headers` joins every copy with ", ". Their copies are read from `rawHeaders` instead.
const DISCARDED = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

/** `headers.get(name)` over `req.headers`, answering as a Fetch `Headers` would. @internal */
export class NodeHeaders {
  readonly #req: NodeRequestLike;

  constructor(req: NodeRequestLike) {
    this.#req = req;
  }

  get(name: string): string | null {
    const headers = this.#req.headers;
    const key = lowerName(name);
    // Own keys only: `constructor` or `__proto__` is no header.
    if (!Object.hasOwn(headers, key)) return null;
    const value = headers[key];
    if (typeof value !== "string") return value === undefined ? null : value.join(", ");
    return DISCARDED.has(key) ? everyCopy(this.#req.rawHeaders, key, value) : value;
  }
}

// The name last asked for and its lower case: the schemes ask for the same one or two names on every
// request, and a comparison with the same string costs less than lower-casing it again.
let lastName = "authorization";
let lastKey = "authorization";

function lowerName(name: string): string {
  if (name !== lastName) {
    lastKey = name.toLowerCase();
    lastName = name;
  }
  return lastKey;
}

/** Every copy of a header Node keeps once, joined with ", ": `first` itself when there is one copy. */
function everyCopy(raw: readonly string[] | undefined, key: string, first: string): string {
  if (raw === undefined) return first;
  // The usual request has one copy: count by name only, and compare no values.
  let copies = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) if (sameName(raw[i]!, key)) copies++;
  if (copies < 2) return first;
  let joined: string | undefined;
  let seen = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!sameName(raw[i]!, key)) continue;
    // The app rewrote req.headers[key]: what it wrote is the value.
    if (seen++ === 0 && raw[i + 1] !== first) return first;
    if (seen > 1) joined = `${joined ?? first}, ${raw[i + 1]}`;
  }
  return joined ?? first;
}

/** Whether a raw header name is `lower`, ASCII case-insensitively, without allocating. */
function sameName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  // Most clients send lower-case names (HTTP/2 must): one native comparison then.
  if (name === lower) return true;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if ((code >= 65 && code <= 90 ? code + 32 : code) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * A view over a Node request: nothing copied, the body never read; `url` built once, when read, by
 * `urlOf(source)`: module-level functions and the framework's own request, so that building a view
 * allocates no closure (an adapter builds one per request). @internal
 */
export class NodeRequestView<Source = unknown> implements AuthRequest {
  readonly #req: NodeRequestLike;
  readonly #urlOf: (source: Source) => string;
  readonly #source: Source;
  #url: string | null = null;
  readonly headers: NodeHeaders;

  constructor(req: NodeRequestLike, urlOf: (source: Source) => string, source: Source) {
    this.#req = req;
    this.#urlOf = urlOf;
    this.#source = source;
    this.headers = new NodeHeaders(req);
  }

  get method(): string {
    return this.#req.method ?? "GET";
  }

  get url(): string {
    this.#url ??= this.#urlOf(this.#source);
    return this.#url;
  }

  get remoteAddress(): string | null {
    return (this.#req.socket as { remoteAddress?: string } | undefined)?.remoteAddress ?? null;
  }
}

/** The view of `req` whose URL is node:http's own ({@link nodeUrl}) or `url` (a string or a function). @internal */
export function nodeView(req: NodeRequestLike, url: UrlSource): NodeRequestView {
  if (url === undefined) return new NodeRequestView<NodeRequestLike>(req, nodeUrl, req) as NodeRequestView;
  if (typeof url === "string") return new NodeRequestView<string>(req, itself, url) as NodeRequestView;
  return new NodeRequestView<() => string>(req, called, url) as NodeRequestView;
}

const itself = (url: string): string => url;
const called = (url: () => string): string => url();

/**
 * The request's absolute URL from node:http alone: `Host` (HTTP/2: `:authority`), and the scheme of
 * HTTP/2's `:scheme` or else of the socket (TLS or not). @internal
 */
export function nodeUrl(req: NodeRequestLike): string {
  const { host, ":authority": authority, ":scheme": scheme } = req.headers;
  const tls = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return joinUrl(
    typeof scheme === "string" ? scheme : tls ? "https" : "http",
    typeof host === "string" ? host : typeof authority === "string" ? authority : undefined,
    req.url,
  );
}

/**
 * An absolute URL from a scheme, a host and a request target, as `new URL(target, base)` reads it:
 * an origin-form target (`/path?query`) joins the origin; an absolute-form one (`GET http://h/p
 * HTTP/1.1`) is the URL itself (RFC 9112 §3.2.2: the server ignores `Host` then); anything else
 * (asterisk-form `*`) sits under the origin's root. @internal
 */
export function joinUrl(protocol: string, host: string | undefined, target: string | undefined): string {
  const origin = `${protocol}://${host || "localhost"}`;
  if (target === undefined || target === "") return `${origin}/`;
  if (target.charCodeAt(0) === 47 /* "/" */) return `${origin}${target}`;
  if (/^https?:\/\//i.test(target)) return target;
  return `${origin}/${target}`;
}
