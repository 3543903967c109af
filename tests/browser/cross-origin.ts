/**
 * A second origin for the CSRF tests: a tiny node:http server on another port of 127.0.0.1 that serves
 * one HTML page. Same host, other port: same site (so SameSite=Lax cookies travel), other origin.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface OriginServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  close(): Promise<void>;
}

/** Serves `html` at every path on 127.0.0.1, on a free port. */
export async function serveForeignPage(html: string): Promise<OriginServer> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
