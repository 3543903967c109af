/**
 * `npm start`: the demo server on 127.0.0.1 (PORT, default 3000), user `demo` / DEMO_PASSWORD (default
 * "demo") and staff user `admin` / DEMO_ADMIN_PASSWORD (default "admin"), on SQLite (DEMO_DB, default .data/demo.sqlite: created and migrated on first start).
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { createStores } from "../shared/setup.js";
import { createDemoServer } from "./app.js";

const port = Number(process.env.PORT ?? 3000);
const password = process.env.DEMO_PASSWORD ?? "demo";
const adminPassword = process.env.DEMO_ADMIN_PASSWORD ?? "admin";
const file = resolve(process.env.DEMO_DB ?? ".data/demo.sqlite");
mkdirSync(dirname(file), { recursive: true });
// The same Kysely stores on SQLite as every example (examples/shared/setup.ts), migrated on first start.
const { close, ...stores } = await createStores({ file });
const server = await createDemoServer({
  password,
  adminPassword,
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

DRF's permissions and throttles (user admin / DEMO_ADMIN_PASSWORD, default "admin", is staff):
  curl -i -u demo:${password} ${base}/api/admin/      (403: not staff)
  curl -i -u admin:${adminPassword} ${base}/api/admin/
  for i in 1 2 3 4 5 6; do curl -s ${base}/api/throttled/; echo; done   (the 6th: 429, Retry-After)
Every login point is under a lockout: 5 wrong passwords for one user from one address lock it for 1 minute.

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
