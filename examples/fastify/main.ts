/**
 * `npx tsx examples/fastify/main.ts`: the Fastify example on 127.0.0.1:PORT (default 3000).
 */
import { banner } from "../shared/banner.js";
import { createAuthKit, createStores } from "../shared/setup.js";
import { createApp } from "./app.js";

const stores = await createStores({ file: process.env.DATABASE });
const kit = await createAuthKit(stores);
const app = await createApp(kit);
const base = await app.listen({ port: Number(process.env.PORT ?? 3000), host: "127.0.0.1" });
console.log(banner("Fastify", base, kit.password, stores.file));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(
    signal,
    () =>
      void app
        .close()
        .then(() => stores.close())
        .finally(() => process.exit(0)),
  );
}
