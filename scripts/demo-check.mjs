#!/usr/bin/env node
// `npm run demo:check`: the demo's curl walkthrough, run against a running demo
// (DEMO_URL, default http://127.0.0.1:3000; DEMO_PASSWORD, default "demo"). Exits 1 on any wrong answer.
const base = (process.env.DEMO_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, "");
const password = process.env.DEMO_PASSWORD ?? "demo";
const adminPassword = process.env.DEMO_ADMIN_PASSWORD ?? "admin";
const basic = (user, pass) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
const json = { "Content-Type": "application/json" };
let failures = 0;
let steps = 0;

async function step(name, request, check) {
  steps++;
  try {
    const response = await fetch(`${base}${request.path}`, {
      method: request.method ?? "GET",
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      redirect: "manual",
    });
    const text = await response.text();
    const body = text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
    const problem = check(response, body);
    if (problem) throw new Error(problem);
    console.log(`ok   ${name}`);
    return { response, body };
  } catch (error) {
    failures++;
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : error}`);
    return { response: null, body: null };
  }
}

const expect =
  (status, predicate = () => true, what = "") =>
  (response, body) =>
    response.status !== status
      ? `expected ${status}, got ${response.status} ${JSON.stringify(body)}`
      : predicate(body, response)
        ? null
        : `unexpected answer ${JSON.stringify(body)} ${what}`;
const isDemo = (body) => body?.username === "demo" && typeof body.id === "string";

await step(
  "GET /api/public/ is open",
  { path: "/api/public/" },
  expect(200, (b) => typeof b.message === "string"),
);
await step(
  "GET /api/me/ anonymous: 401 with the Basic challenge",
  { path: "/api/me/" },
  expect(
    401,
    (b, r) => r.headers.get("www-authenticate") === 'Basic realm="api"' && b.code === "not_authenticated",
  ),
);
await step(
  "POST /api/me/ anonymous: 401 before 405 (DRF authenticates before the method check)",
  { path: "/api/me/", method: "POST" },
  expect(
    401,
    (b, r) => r.headers.get("www-authenticate") === 'Basic realm="api"' && b.code === "not_authenticated",
  ),
);
await step(
  "POST /api/me/ with Basic: 405 with Allow",
  { path: "/api/me/", method: "POST", headers: { Authorization: basic("demo", password) } },
  expect(405, (b, r) => r.headers.get("allow") === "GET, HEAD" && b.detail === 'Method "POST" not allowed.'),
);
await step(
  "GET /api/me/ with Basic",
  { path: "/api/me/", headers: { Authorization: basic("demo", password) } },
  expect(200, isDemo),
);
await step(
  "GET /api/me/ with a wrong password: DRF's message",
  { path: "/api/me/", headers: { Authorization: basic("demo", `${password}-wrong`) } },
  expect(401, (b) => b.detail === "Invalid username/password."),
);

// DRF's permissions: IsAdminUser on /api/admin/.
await step(
  "GET /api/admin/ anonymous: 401 (nobody authenticated)",
  { path: "/api/admin/" },
  expect(401, (b) => b.code === "not_authenticated"),
);
await step(
  "GET /api/admin/ as demo: 403, not staff",
  { path: "/api/admin/", headers: { Authorization: basic("demo", password) } },
  expect(
    403,
    (b) =>
      b.detail === "You do not have permission to perform this action." && b.code === "permission_denied",
  ),
);
await step(
  "GET /api/admin/ as the staff user admin",
  { path: "/api/admin/", headers: { Authorization: basic("admin", adminPassword) } },
  expect(200, (b) => b.admin === true && b.username === "admin"),
);

// DRF's throttles on /api/throttled/: anonymous 5/minute by address. A run within the minute of the
// last one finds part of the count used, so the 429 is looked for within six requests.
async function untilThrottled(name, request, limit, status = 200) {
  for (let i = 0; i <= limit; i++) {
    const { response, body } = await step(`${name} (request ${i + 1})`, request, (r) =>
      r.status === status || r.status === 429 ? null : `expected ${status} or 429, got ${r.status}`,
    );
    if (response?.status !== 429) continue;
    const wait = Number(response.headers.get("retry-after"));
    const message = /^Request was throttled\. Expected available in (\d+) seconds?\.$/.exec(
      body?.detail ?? "",
    );
    steps++;
    if (body?.code === "throttled" && wait > 0 && message && Number(message[1]) === wait) {
      console.log(`ok   ${name}: 429 with Retry-After: ${wait}`);
    } else {
      failures++;
      console.log(`FAIL ${name}: 429 without DRF's body and Retry-After: ${JSON.stringify(body)}`);
    }
    return;
  }
  steps++;
  failures++;
  console.log(`FAIL ${name}: no 429 within ${limit + 1} requests`);
}
await untilThrottled("GET /api/throttled/ anonymous: throttled at 5/minute", { path: "/api/throttled/" }, 5);

// The lockout: 5 failures for one username from one address lock that pair for a minute, checked
// without the password. Here a user who does not exist: the demo user stays usable.
await untilThrottled(
  "POST /api-token-auth/ with wrong passwords: locked out",
  {
    path: "/api-token-auth/",
    method: "POST",
    headers: json,
    body: { username: "intruder", password: "guess" },
  },
  5,
  400,
);

const tokenLogin = await step(
  "POST /api-token-auth/ (DRF's obtain_auth_token)",
  { path: "/api-token-auth/", method: "POST", headers: json, body: { username: "demo", password } },
  expect(200, (b) => typeof b.token === "string"),
);
await step(
  "GET /api/me/ with Authorization: Token",
  { path: "/api/me/", headers: { Authorization: `Token ${tokenLogin.body?.token}` } },
  expect(200, isDemo),
);

const pair = await step(
  "POST /api/token/ (simplejwt's pair)",
  { path: "/api/token/", method: "POST", headers: json, body: { username: "demo", password } },
  expect(200, (b) => typeof b.access === "string" && typeof b.refresh === "string"),
);
await step(
  "GET /api/me/ with the Bearer access token",
  { path: "/api/me/", headers: { Authorization: `Bearer ${pair.body?.access}` } },
  expect(200, isDemo),
);
await step(
  "POST /api/token/verify/",
  { path: "/api/token/verify/", method: "POST", headers: json, body: { token: pair.body?.access } },
  expect(200, (b) => JSON.stringify(b) === "{}"),
);
const rotated = await step(
  "POST /api/token/refresh/ rotates the refresh token",
  { path: "/api/token/refresh/", method: "POST", headers: json, body: { refresh: pair.body?.refresh } },
  expect(200, (b) => typeof b.access === "string" && typeof b.refresh === "string"),
);
await step(
  "POST /api/token/refresh/ with the old refresh token at once: refused (a duplicate within reuseGraceSeconds)",
  { path: "/api/token/refresh/", method: "POST", headers: json, body: { refresh: pair.body?.refresh } },
  expect(401, (b) => b.code === "token_not_valid"),
);
// Past the 5 s reuse grace window, the old token again is a replay: its family is revoked.
await new Promise((resolve) => setTimeout(resolve, 5_500));
await step(
  "POST /api/token/refresh/ with the old refresh token after the window: refused, a replay",
  { path: "/api/token/refresh/", method: "POST", headers: json, body: { refresh: pair.body?.refresh } },
  expect(401, (b) => b.detail === "Token is blacklisted"),
);
await step(
  "the rotated refresh token is refused too: reuse detection revoked the family",
  { path: "/api/token/refresh/", method: "POST", headers: json, body: { refresh: rotated.body?.refresh } },
  expect(401, (b) => b.detail === "Token is blacklisted"),
);
const second = await step(
  "POST /api/token/ again",
  { path: "/api/token/", method: "POST", headers: json, body: { username: "demo", password } },
  expect(200, (b) => typeof b.refresh === "string"),
);
await step(
  "POST /api/token/blacklist/",
  { path: "/api/token/blacklist/", method: "POST", headers: json, body: { refresh: second.body?.refresh } },
  expect(200, (b) => JSON.stringify(b) === "{}"),
);
await step(
  "POST /api/token/refresh/ with the blacklisted token: refused",
  { path: "/api/token/refresh/", method: "POST", headers: json, body: { refresh: second.body?.refresh } },
  expect(401, (b) => b.detail === "Token is blacklisted"),
);

const cookies = new Map();
const jar = (response) => {
  for (const line of response?.headers.getSetCookie() ?? []) {
    const [pair] = line.split(";");
    const [name, value] = pair.split("=");
    if (/Max-Age=0/.test(line)) cookies.delete(name);
    else cookies.set(name, value);
  }
};
const cookieHeader = () => [...cookies].map(([n, v]) => `${n}=${v}`).join("; ");

await step(
  "GET /login serves the login page",
  { path: "/login" },
  expect(200, (b) => String(b).includes('id="login-form"')),
);
const csrf = await step(
  "GET /api/session/csrf/",
  { path: "/api/session/csrf/" },
  expect(200, (b) => /^[a-zA-Z0-9]{64}$/.test(b.csrfToken)),
);
jar(csrf.response);
const login = await step(
  "POST /api/session/login/ with the CSRF token",
  {
    path: "/api/session/login/",
    method: "POST",
    headers: { ...json, cookie: cookieHeader(), "X-CSRFToken": csrf.body?.csrfToken },
    body: { username: "demo", password },
  },
  expect(200, isDemo),
);
jar(login.response);
await step(
  "GET /api/me/ with the session cookie",
  { path: "/api/me/", headers: { cookie: cookieHeader() } },
  expect(200, isDemo),
);
await step(
  "POST /api/ping/ without the CSRF header: 403",
  { path: "/api/ping/", method: "POST", headers: { cookie: cookieHeader() } },
  expect(403, (b) => b.detail === "CSRF Failed: CSRF token missing."),
);
await step(
  "POST /api/ping/ with the CSRF header",
  {
    path: "/api/ping/",
    method: "POST",
    headers: { cookie: cookieHeader(), "X-CSRFToken": cookies.get("csrftoken") },
  },
  expect(200, (b) => b.pong === true && b.username === "demo"),
);
const logout = await step(
  "POST /api/session/logout/",
  {
    path: "/api/session/logout/",
    method: "POST",
    headers: { cookie: cookieHeader(), "X-CSRFToken": cookies.get("csrftoken") },
  },
  expect(204),
);
jar(logout.response);
await step(
  "GET /api/me/ after logout: anonymous",
  { path: "/api/me/", headers: { cookie: cookieHeader() } },
  expect(401),
);

console.log(
  failures === 0
    ? `demo:check: all ${steps} steps passed against ${base}`
    : `demo:check: ${failures} of ${steps} steps failed`,
);
process.exit(failures === 0 ? 0 : 1);
