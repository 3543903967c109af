/**
 * A node:http server on 127.0.0.1, an ephemeral port, reached with the global fetch.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Listening {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Sends a request to the server. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Closes the server and every keep-alive connection. */
  close(): Promise<void>;
}

/**
 * Starts `server` on 127.0.0.1:0.
 *
 * @param server - a node:http server (Express's and Koa's apps run on one)
 */
export async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    fetch: (path, init) => fetch(`${origin}${path}`, init),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
