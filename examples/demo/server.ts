/**
 * `npm start`: the demo server on 127.0.0.1 (PORT, default 3000), user `demo` / DEMO_PASSWORD (default "demo").
 */
import type { AddressInfo } from "node:net";
import { createDemoServer } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
const password = process.env.DEMO_PASSWORD ?? "demo";
const server = await createDemoServer({ password });

server.listen(port, "127.0.0.1", () => {
  const { port: bound } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${bound}`;
  console.log(`portcullis demo listening on ${base}

Try:
  curl -i ${base}/api/public/
  curl -i ${base}/api/me/
  curl -i -u demo:${password} ${base}/api/me/
  curl -i -u demo:wrong ${base}/api/me/

Stop with Ctrl+C.`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
