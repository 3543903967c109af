/**
 * `DENO_NO_UPDATE_CHECK=1 npx deno run -A examples/deno/main.ts`: the Deno example on 127.0.0.1:PORT
 * (default 3000), on SQLite through node:sqlite.
 */
import { banner } from "../shared/banner.js";
import { openNodeSqlite } from "../shared/node-sqlite.js";
import { createAuthKit, createStores } from "../shared/setup.js";
import { createHandler, onError } from "./app.js";

// The few Deno APIs used here, so `tsc` (Node's types) checks this file too.
declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: {
      hostname: string;
      port: number;
      onListen(address: { port: number }): void;
      onError(error: unknown): Response;
    },
    handler: (request: Request) => Promise<Response>,
  ): { shutdown(): Promise<void> };
  addSignalListener(signal: "SIGINT" | "SIGTERM", listener: () => void): void;
  exit(code: number): never;
};

const stores = await createStores({ file: Deno.env.get("DATABASE"), open: openNodeSqlite });
const kit = await createAuthKit(stores);
const server = Deno.serve(
  {
    hostname: "127.0.0.1",
    port: Number(Deno.env.get("PORT") ?? 3000),
    onListen: ({ port }) =>
      console.log(banner("Deno", `http://127.0.0.1:${port}`, kit.password, stores.file)),
    onError,
  },
  createHandler(kit),
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    void server
      .shutdown()
      .then(() => stores.close())
      .finally(() => Deno.exit(0));
  });
}
