/**
 * `portcullis/node`: `auth()` for plain node:http servers, and the request view and error answer that
 * the Express, Fastify and Koa adapters build on.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Readable } from "node:stream";
import { fetchResponseParts } from "../core/fetch-response.js";
import { type AuthOptions, type GuardDeny, guard, reportError, withDefaults } from "../core/guard.js";
import { errorParts, errorResponseParts } from "../core/response.js";
import type { AuthResult } from "../core/runner.js";
import type { AuthRequest } from "../core/scheme.js";
import { NodeHeaders, NodeRequestView, nodeUrl, nodeView } from "./internal/node-request.js";

/** A node:http request, or an HTTP/2 one through node:http2's compatibility API. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** A node:http response, or an HTTP/2 one through node:http2's compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * A request let through by {@link auth}: the same object, with `req.user` and `req.auth` set (`user`
 * null only for an allowed anonymous request).
 *
 * @example
 * ```ts
 * const authed: AuthenticatedRequest<AppUser> | null = await check(req, res);
 * if (authed) res.end(authed.user.username);
 * ```
 */
export type AuthenticatedRequest<
  User,
  Required extends boolean = true,
  Req extends NodeRequest = IncomingMessage,
> = Omit<Req, "user" | "auth"> & {
  /** The authenticated user. */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
};

/** Options for {@link auth}: the schemes, `required` (default true), where errors go, the URL. */
export interface NodeAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
  /**
   * Where a broken scheme's error is reported before the 500/503 answer. Default `console.error`, with
   * the request's method and URL.
   */
  onError?: (error: unknown, req: NodeRequest) => void;
  /**
   * The request's absolute URL, when node:http's own (from `Host`, the socket's TLS and `req.url`) is
   * not the one the client used: behind a TLS-terminating proxy the app trusts, say. The session
   * scheme's CSRF check compares it with `Origin`.
   */
  url?: (req: NodeRequest) => string;
}

/**
 * Checks a request with the schemes, as DRF's `APIView` does before the view runs. Given the request
 * and response of a node:http (or node:http2 compatibility) handler, it sets `req.user` and `req.auth`
 * (plain properties) and resolves to the request; or answers the refusal itself and resolves to `null`.
 */
export type NodeAuthCheck<User, Required extends boolean = true> = <Req extends NodeRequest>(
  req: Req,
  res: NodeResponse,
) => Promise<AuthenticatedRequest<User, Required, Req> | null>;

/**
 * Authentication for a plain node:http server, as `auth()` is for the frameworks: the returned check
 * runs the schemes, sets `req.user` and `req.auth` and resolves to the request; or answers and resolves
 * to `null`, and the handler stops. The answers are every adapter's: 401/403 as JSON with
 * `WWW-Authenticate` on a 401 (DRF's `{"detail", "code"}`); a broken scheme 500 `{"detail": "A server
 * error occurred.", "code": "error"}`, or 503 `{"detail": "Service temporarily unavailable, try again
 * later.", "code": "service_unavailable"}` with `Retry-After` when a store cannot answer: never
 * anonymous, never the error's message. The error goes to `onError` (default `console.error`).
 *
 * node:http has no error handling of its own for what the handler throws afterwards: give the server a
 * catch-all with {@link sendAuthError}, which answers an `AuthError` (`PermissionDenied`) with its
 * status and anything else 500.
 *
 * @param options - schemes, `required`, `onError`, `url`
 * @returns the check `(req, res) => Promise<req | null>`
 * @throws TypeError without a scheme
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { auth, sendAuthError } from "portcullis/node";
 *
 * const check = auth({ schemes: [basic, bearer] });
 *
 * createServer(async (req, res) => {
 *   const authed = await check(req, res);
 *   if (!authed) return; // answered 401, 403, 500 or 503
 *   res.setHeader("Content-Type", "application/json");
 *   res.end(JSON.stringify({ id: authed.user.id }));
 * }).listen(3000);
 * ```
 * @example Anonymous allowed, and a catch-all
 * ```ts
 * const optional = auth({ schemes: [bearer], required: false });
 * createServer((req, res) => {
 *   handle(req, res).catch((error: Error) => {
 *     console.error(error);
 *     sendAuthError(res, error); // what the handler throws after the check: 403, 500…
 *   });
 * });
 * async function handle(req: IncomingMessage, res: ServerResponse) {
 *   const authed = await optional(req, res);
 *   if (!authed) return;
 *   res.end(authed.user === null ? "hello, stranger" : `hello, ${authed.user.username}`);
 * }
 * ```
 */
export function auth<User, Required extends boolean = true>(
  options: NodeAuthOptions<User, Required>,
): NodeAuthCheck<User, Required> {
  const resolved = withDefaults<User, NodeAuthOptions<User, Required>>(options);
  const urlOf = resolved.url ?? nodeUrl;
  const onError =
    resolved.onError ?? ((error, req) => reportError(error, req.method ?? "GET", req.url ?? "/"));
  return async <Req extends NodeRequest>(req: Req, res: NodeResponse) => {
    const outcome = await guard(new NodeRequestView<NodeRequest>(req, urlOf, req), resolved);
    if (outcome.ok) {
      // Plain property writes: @types/passport, when present, types `req.user` as its own.
      const authed = req as unknown as { user: unknown; auth: unknown };
      authed.user = outcome.user;
      authed.auth = outcome.auth;
      return req as unknown as AuthenticatedRequest<User, Required, Req>;
    }
    if (outcome.error !== undefined) onError(outcome.error, req);
    sendAuthError(res, outcome);
    return null;
  };
}

/** What {@link createAuth} returns. */
export interface NodeAuth<User, Required extends boolean = true> {
  /**
   * {@link auth} with the project's defaults; the route's options win, key by key (an `undefined` one
   * keeps the project's value).
   *
   * @param options - the route's own schemes, `required`, `onError` or `url`
   * @returns the check
   */
  auth<Route extends boolean = Required>(
    options?: Partial<NodeAuthOptions<User, Route>>,
  ): NodeAuthCheck<User, Route>;
}

/**
 * Project-wide defaults with per-route override (DRF's `DEFAULT_AUTHENTICATION_CLASSES` and a view's
 * `authentication_classes`).
 *
 * @param defaults - the project's schemes (and `required`, `onError`, `url`)
 * @returns `{ auth(options?) }` using the defaults unless a route passes its own
 * @example
 * ```ts
 * const { auth } = createAuth({ schemes: [session, bearer] });
 * const me = auth();
 * const feed = auth({ required: false });
 * ```
 */
export function createAuth<User, Required extends boolean = true>(
  defaults: NodeAuthOptions<User, Required>,
): NodeAuth<User, Required> {
  withDefaults(defaults);
  return {
    auth: (options) => auth(withDefaults<User, NodeAuthOptions<User>>(defaults, options)) as never,
  };
}

/**
 * Options for {@link toAuthRequest} and {@link toFetchRequest}: what a framework knows better than
 * node:http.
 *
 * @example
 * ```ts
 * toAuthRequest(req, { url: () => `${req.protocol}://${req.host}${req.originalUrl}` });
 * ```
 */
export interface NodeRequestOptions {
  /**
   * The request's absolute URL, or a function computing it on first read (called at most once). Give it
   * when the framework rewrites `req.url` (Express routers, Koa mounts) or trusts a proxy's
   * `X-Forwarded-Proto` / `X-Forwarded-Host`. Default: from `Host` (HTTP/2: `:authority`), the socket's
   * TLS (HTTP/2: `:scheme`) and `req.url`.
   */
  url?: string | (() => string);
}

/**
 * Builds an {@link AuthRequest} over a node:http (or node:http2 compatibility) request in O(1): a view
 * over `req.headers` (no copy, no body read). Its `url` is absolute (`http(s)://host/path`), computed
 * only when read, so the CSRF check knows the request's own origin. An absolute-form request line
 * (`GET http://other.example/p HTTP/1.1`) gives that URL itself, as `new URL(req.url, base)` does and
 * RFC 9112 §3.2.2 says. `headers.get` answers as a Fetch `Headers`: a header sent twice reads as both
 * copies joined with ", ", even those (`Authorization`…) of which `req.headers` keeps only the first.
 *
 * @param req - the incoming request
 * @param options - the URL when the framework knows it better (Express's `originalUrl`, a trusted proxy)
 * @returns the view
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-3.2.2
 * @example
 * ```ts
 * createServer(async (req, res) => {
 *   const result = await authenticate(toAuthRequest(req), schemes);
 *   if (sendAuthError(res, result)) return;
 *   res.end(`hello ${result.outcome === "success" ? result.user.username : ""}`);
 * });
 * ```
 * @example Behind a proxy that the app trusts
 * ```ts
 * const view = toAuthRequest(req, { url: () => `https://api.example.com${req.url}` });
 * ```
 */
export function toAuthRequest(req: NodeRequest, options?: NodeRequestOptions): AuthRequest {
  return nodeView(req, options?.url);
}

/**
 * Answers a refused request: the status, `WWW-Authenticate` on a 401 and DRF's JSON body. Nothing is
 * written for a success. Given an error (what a handler threw): an `AuthError` answers its own status
 * (403, or 401 when it carries a challenge), anything else 500, or 503 for a store that cannot answer,
 * never with the error's message: the catch-all of a node:http server.
 *
 * @param res - the response
 * @param result - the runner's result, an adapter's deny outcome, or an error
 * @returns true when an answer was sent (stop handling), false for a success
 * @example
 * ```ts
 * const result = await authenticate(toAuthRequest(req), schemes);
 * if (sendAuthError(res, result)) return;
 * ```
 * @example The server's catch-all
 * ```ts
 * createServer((req, res) => {
 *   handle(req, res).catch((error: unknown) => {
 *     console.error(error);
 *     sendAuthError(res, error instanceof Error ? error : new Error(String(error)));
 *   });
 * });
 * ```
 */
export function sendAuthError(res: NodeResponse, result: AuthResult<unknown> | GuardDeny | Error): boolean {
  const parts =
    result instanceof Error ? errorParts(result) : "ok" in result ? result : errorResponseParts(result);
  if (parts === null) return false;
  // Headers already out (the handler failed mid-answer): no second status line, just end it.
  if (res.headersSent) res.end();
  else res.writeHead(parts.status, parts.headers).end(JSON.stringify(parts.body));
  return true;
}

/**
 * A Fetch `Request` over a node:http request, for the Fetch endpoint handlers: the body streams
 * through unread until the handler reads it. When a body parser already consumed the stream (Express's
 * `express.json()`, say), the parsed body is used instead: `parsedBody` (a Buffer or string as is, a
 * plain object as JSON or, for a form, as URL-encoded fields as the parser read them: a repeated field
 * once per value, a nested one by its bracketed name, `user[name]`).
 *
 * @param req - the incoming request
 * @param parsedBody - what a body parser left on the request, if it read the stream
 * @param options - the URL when the framework knows it better (see {@link toAuthRequest})
 * @returns the Fetch request
 * @example
 * ```ts
 * const response = await views.login(toFetchRequest(req));
 * await sendFetchResponse(res, response);
 * ```
 */
export function toFetchRequest(
  req: NodeRequest,
  parsedBody?: unknown,
  options?: NodeRequestOptions,
): Request {
  const headers = new Headers();
  const view = new NodeHeaders(req);
  for (const name of Object.keys(req.headers)) {
    // HTTP/2's pseudo-headers (:method, :path, :authority, :scheme) are no header names in Fetch.
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = view.get(name);
    if (value !== null) headers.set(name, value);
  }
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (method !== "GET" && method !== "HEAD") {
    if (!req.readableEnded && req.readable) {
      init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
      init.duplex = "half";
    } else if (parsedBody !== undefined) {
      init.body = replayBody(parsedBody, headers);
      headers.delete("content-length");
    }
  }
  const url = options?.url;
  return new Request(url === undefined ? nodeUrl(req) : typeof url === "string" ? url : url(), init);
}

/**
 * Writes a Fetch `Response` to a node:http response: status, headers (each `Set-Cookie` on its own
 * line) and body.
 *
 * @param res - the response to write
 * @param response - the Fetch response
 * @example
 * ```ts
 * await sendFetchResponse(res, await views.csrf(toFetchRequest(req)));
 * ```
 */
export async function sendFetchResponse(
  res: ServerResponse | Http2ServerResponse,
  response: Response,
): Promise<void> {
  const { status, headers, cookies, body } = await fetchResponseParts(response);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (body === undefined) res.end();
  else res.end(body);
}

function replayBody(body: unknown, headers: Headers): BodyInit | null {
  if (body === null || body === undefined) return null;
  if (typeof body === "string" || body instanceof Uint8Array) return body as BodyInit;
  const type = headers.get("content-type") ?? "";
  if (/application\/x-www-form-urlencoded/i.test(type) && typeof body === "object") return formFields(body);
  return jsonText(body);
}

// JSON.stringify recurses: a body nested deeper than the stack (`express.json()` parses 50,000 levels
// of `[` in its 100 kB) would throw a RangeError, a 500. Past that, the parsed value (plain JSON data)
// is written again without recursion, so the endpoint reads what the client sent and answers it.
function jsonText(body: unknown): string {
  try {
    return JSON.stringify(body);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return jsonTextFlat(body);
  }
}

function jsonTextFlat(root: unknown): string {
  const out: string[] = [];
  // Work is taken from the end: text to write as is, or a value ({ value }) to write.
  const work: Array<string | { value: unknown }> = [{ value: root }];
  while (work.length > 0) {
    const item = work.pop()!;
    if (typeof item === "string") {
      out.push(item);
      continue;
    }
    const { value } = item;
    if (
      value === null ||
      typeof value !== "object" ||
      typeof (value as { toJSON?: unknown }).toJSON === "function"
    ) {
      out.push(JSON.stringify(value) ?? "null");
    } else if (Array.isArray(value)) {
      work.push("]");
      for (let i = value.length - 1; i >= 0; i--) {
        work.push({ value: value[i] });
        if (i > 0) work.push(",");
      }
      work.push("[");
    } else {
      const entries = Object.entries(value).filter(
        ([, inner]) => inner !== undefined && typeof inner !== "function" && typeof inner !== "symbol",
      );
      work.push("}");
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        work.push({ value: inner }, `${JSON.stringify(key)}:`);
        if (i > 0) work.push(",");
      }
      work.push("{");
    }
  }
  return out.join("");
}

// A parsed form back to fields, as the parser read them: a repeated field (an array) as one field per
// value, so the handler's last-value rule holds; a nested one (qs, `express.urlencoded({ extended: true
// })`) by its bracketed name (`user[name]`, `items[0][id]`). Past 32 levels (a parser's cycle) the value is
// given as text rather than followed: the endpoints read flat fields only.
const FORM_DEPTH = 32;

function formFields(body: object): URLSearchParams {
  const fields = new URLSearchParams();
  const add = (name: string, value: unknown, depth: number): void => {
    if (value === null || value === undefined) fields.append(name, "");
    else if (typeof value !== "object" || depth === FORM_DEPTH) fields.append(name, String(value));
    else if (Array.isArray(value)) {
      value.forEach((item: unknown, index) => {
        add(typeof item === "object" && item !== null ? `${name}[${index}]` : name, item, depth + 1);
      });
    } else for (const [key, inner] of Object.entries(value)) add(`${name}[${key}]`, inner, depth + 1);
  };
  for (const [name, value] of Object.entries(body)) add(name, value, 0);
  return fields;
}
