/**
 * The request's URL as Express sees it, for the Express adapter's request views.
 * @internal
 */
import type { Request } from "express";
import { joinUrl, nodeUrl } from "./node-request.js";

/**
 * The URL Express sees: `req.originalUrl` (a router or sub-app rewrites `req.url`), `req.protocol` and
 * the host, both from `X-Forwarded-*` only when the app's `trust proxy` trusts the sender. Outside an
 * Express app (under connect, say): node:http's. @internal
 *
 * @example
 * ```ts
 * new NodeRequestView(req, expressUrl, req);
 * ```
 */
export function expressUrl(req: Request): string {
  return req.app === undefined ? nodeUrl(req) : joinUrl(req.protocol, expressHost(req), req.originalUrl);
}

/**
 * Express 5's `req.host` (Express 4's drops the port): `X-Forwarded-Host` only when Express trusts the
 * proxy (its `trust proxy` setting), else `Host` (HTTP/2: `:authority`).
 */
function expressHost(req: Request): string | undefined {
  const trust = req.app.get("trust proxy fn") as
    | ((address: string | undefined, hop: number) => boolean)
    | undefined;
  const forwarded = req.get("X-Forwarded-Host");
  if (forwarded && trust?.(req.socket.remoteAddress, 0)) return forwarded.split(",", 1)[0]!.trim();
  const { host, ":authority": authority } = req.headers;
  return host ?? (typeof authority === "string" ? authority : undefined);
}
