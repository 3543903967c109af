/**
 * `npm start`: the demo server on 127.0.0.1 (PORT, default 3000), user `demo` / DEMO_PASSWORD (default
 * "demo"), on SQLite (DEMO_DB, default .data/demo.sqlite: created and migrated on first start).
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { createStores } from "../shared/setup.js";
import { createDemoServer } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
const password = process.env.DEMO_PASSWORD ?? "demo";
const file = resolve(process.env.DEMO_DB ?? ".data/demo.sqlite");
mkdirSync(dirname(file), { recursive: true });
// The same Kysely stores on SQLite as every example (examples/shared/setup.ts), migrated on first start.
const { close, ...stores } = await createStores({ file });
const server = await createDemoServer({
  password,
  stores,
  ...(process.env.JWT_SECRET ? { jwtSecret: process.env.JWT_SECRET } : {}),
});

server.listen(port, "127.0.0.1", () => {
  const { port: bound } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${bound}`;
  console.log(`portcullis demo listening on ${base} (SQLite: ${file})

Try:
  curl -i ${base}/api/public/
  curl -i ${base}/api/me/
  curl -i -u demo:${password} ${base}/api/me/
  curl -i -u demo:wrong ${base}/api/me/

DRF's token (obtain_auth_token):
  curl -s -X POST -H 'Content-Type: application/json' \\
       -d '{"username": "demo", "password": "${password}"}' ${base}/api-token-auth/
  curl -i -H "Authorization: Token <token>" ${base}/api/me/

JWTs (simplejwt's endpoints):
  curl -s -X POST -H 'Content-Type: application/json' \\
       -d '{"username": "demo", "password": "${password}"}' ${base}/api/token/
  curl -i -H "Authorization: Bearer <access>" ${base}/api/me/
  curl -s -X POST -H 'Content-Type: application/json' -d '{"refresh": "<refresh>"}' ${base}/api/token/refresh/
  curl -s -X POST -H 'Content-Type: application/json' -d '{"token": "<access>"}' ${base}/api/token/verify/
  (refresh rotates: the answer's "refresh" replaces <refresh>, the old one is blacklisted)
  curl -s -X POST -H 'Content-Type: application/json' -d '{"refresh": "<new refresh>"}' ${base}/api/token/blacklist/

Sessions (Django's CSRF): open ${base}/login in a browser, or
  curl -s -c jar -b jar ${base}/api/session/csrf/
  curl -s -c jar -b jar -X POST -H 'Content-Type: application/json' \\
       -H "X-CSRFToken: $(awk '/csrftoken/ {print $7}' jar)" \\
       -d '{"username": "demo", "password": "${password}"}' ${base}/api/session/login/
  curl -s -b jar ${base}/api/me/

Check every answer above at once: npm run demo:check (PORT=${bound} if not 3000)
Stop with Ctrl+C.`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => void close().then(() => process.exit(0)));
  });
}
