/**
 * `portcullis/node`: the request view and the error answer for node:http, which the Express, Fastify
 * and Koa adapters build on.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { fetchResponseParts } from "../core/fetch-response.js";
import type { GuardDeny } from "../core/guard.js";
import { errorResponseParts } from "../core/response.js";
import type { AuthResult } from "../core/runner.js";
import type { AuthRequest } from "../core/scheme.js";

/** A view over an `IncomingMessage`: nothing copied, the body never read; `url` built only when read. */
class NodeRequestView implements AuthRequest {
  readonly #req: IncomingMessage;
  readonly headers: AuthRequest["headers"];

  constructor(req: IncomingMessage) {
    this.#req = req;
    const raw = req.headers;
    this.headers = {
      get(name: string): string | null {
        const value = raw[name.toLowerCase()];
        if (value === undefined) return null;
        return typeof value === "string" ? value : value.join(", ");
      },
    };
  }

  get method(): string {
    return this.#req.method ?? "GET";
  }

  get url(): string {
    return absoluteUrl(this.#req);
  }
}

/**
 * Builds an {@link AuthRequest} over a node:http request in O(1): a view over `req.headers` (no copy,
 * no body read). Its `url` is absolute (`http(s)://host/path`), computed only when read, so the CSRF
 * check knows the request's own origin.
 *
 * @param req - the incoming request
 * @returns the view
 * @example
 * ```ts
 * createServer(async (req, res) => {
 *   const result = await authenticate(toAuthRequest(req), schemes);
 *   if (sendAuthError(res, result)) return;
 *   res.end(`hello ${result.outcome === "success" ? result.user.username : ""}`);
 * });
 * ```
 */
export function toAuthRequest(req: IncomingMessage): AuthRequest {
  return new NodeRequestView(req);
}

/**
 * Answers a refused request: the status, `WWW-Authenticate` on a 401 and DRF's JSON body. Nothing is
 * written for a success.
 *
 * @param res - the response
 * @param result - the runner's result, or an adapter's deny outcome
 * @returns true when an answer was sent (stop handling), false for a success
 * @example
 * ```ts
 * const result = await authenticate(toAuthRequest(req), schemes);
 * if (sendAuthError(res, result)) return;
 * ```
 */
export function sendAuthError(res: ServerResponse, result: AuthResult<unknown> | GuardDeny): boolean {
  const parts = "ok" in result ? result : errorResponseParts(result);
  if (parts === null) return false;
  res.writeHead(parts.status, parts.headers);
  res.end(JSON.stringify(parts.body));
  return true;
}

/**
 * A Fetch `Request` over a node:http request, for the Fetch endpoint handlers: the body streams
 * through unread until the handler reads it. When a body parser already consumed the stream (Express's
 * `express.json()`, say), the parsed body is used instead: `parsedBody` (a Buffer or string as is, a
 * plain object as JSON or, for a form, as URL-encoded fields).
 *
 * @param req - the incoming request
 * @param parsedBody - what a body parser left on the request, if it read the stream
 * @returns the Fetch request
 * @example
 * ```ts
 * const response = await views.login(toFetchRequest(req));
 * await sendFetchResponse(res, response);
 * ```
 */
export function toFetchRequest(req: IncomingMessage, parsedBody?: unknown): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
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
  return new Request(absoluteUrl(req), init);
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
export async function sendFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const { status, headers, cookies, body } = await fetchResponseParts(response);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.end(body);
}

function absoluteUrl(req: IncomingMessage): string {
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const host = req.headers.host ?? "localhost";
  return `${encrypted ? "https" : "http"}://${host}${req.url ?? "/"}`;
}

function replayBody(body: unknown, headers: Headers): BodyInit | null {
  if (body === null || body === undefined) return null;
  if (typeof body === "string" || body instanceof Uint8Array) return body as BodyInit;
  const type = headers.get("content-type") ?? "";
  if (/application\/x-www-form-urlencoded/i.test(type) && typeof body === "object") {
    return new URLSearchParams(body as Record<string, string>);
  }
  return JSON.stringify(body);
}
