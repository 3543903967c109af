/**
 * The node:http types of `portcullis/node`, and the bridge between node:http and the Fetch endpoint
 * handlers (`toFetchRequest`, `sendFetchResponse`), re-exported there.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Readable } from "node:stream";
import { fetchResponseParts } from "../../core/fetch-response.js";
import { NodeHeaders, nodeUrl } from "./node-request.js";

/** A node:http request, or an HTTP/2 one through node:http2's compatibility API. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** A node:http response, or an HTTP/2 one through node:http2's compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

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
