/**
 * `npx tsx examples/koa/main.ts`: the Koa example on 127.0.0.1:PORT (default 3000).
 */
import type { AddressInfo } from "node:net";
import { banner } from "../shared/banner.js";
import { createAuthKit, createStores } from "../shared/setup.js";
import { createApp } from "./app.js";

const stores = await createStores({ file: process.env.DATABASE });
const kit = await createAuthKit(stores);
const server = createApp(kit).listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(banner("Koa", `http://127.0.0.1:${port}`, kit.password, stores.file));
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stores.close().finally(() => process.exit(0)));
}
