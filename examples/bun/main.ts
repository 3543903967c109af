/**
 * `npx bun examples/bun/main.ts`: the Bun example on 127.0.0.1:PORT (default 3000), on SQLite through
 * node:sqlite.
 */
import { banner } from "../shared/banner.js";
import { openNodeSqlite } from "../shared/node-sqlite.js";
import { createAuthKit, createStores } from "../shared/setup.js";
import { createRoutes, notFound, onError } from "./app.js";

// The part of Bun.serve used here, so `tsc` (Node's types) checks this file too.
declare const Bun: {
  serve(options: {
    hostname: string;
    port: number;
    routes: ReturnType<typeof createRoutes>;
    fetch(request: Request): Response;
    error(error: unknown): Response;
  }): { port: number; stop(): Promise<void> };
};

const stores = await createStores({ file: process.env.DATABASE, open: openNodeSqlite });
const kit = await createAuthKit(stores);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 3000),
  routes: createRoutes(kit),
  fetch: notFound,
  error: onError,
});
console.log(banner("Bun", `http://127.0.0.1:${server.port}`, kit.password, stores.file));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(
    signal,
    () =>
      void server
        .stop()
        .then(() => stores.close())
        .finally(() => process.exit(0)),
  );
}
