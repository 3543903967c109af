// The workerd row of the runtime matrix (scripts/test-runtimes.mjs; runs alone too: `node tests/runtimes/workerd.mjs`).
// Bundles tests/runtimes/worker/worker.ts with esbuild as a Cloudflare Worker would be, checks the bundle
// imports nothing workerd cannot load (no nodejs_compat flag), runs it in workerd through miniflare
// (`cf: false`: no request to workers.cloudflare.com) and asserts exact statuses, headers and bodies for
// Basic, Token and JWT authentication. Writes a summary to $PORTCULLIS_RT_RESULT when set; exits 1 on a failure.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("../..", import.meta.url));
const entry = `${root}tests/runtimes/worker/worker.ts`;
const outfile = `${root}.rt/worker/worker.js`;
const COMPATIBILITY_DATE = "2025-01-01";
const require = createRequire(import.meta.url);
const workerdVersion = require("workerd/package.json").version;

const results = [];
async function check(name, fn) {
  const start = performance.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${Math.round(performance.now() - start)} ms)`);
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.message ?? error) });
    console.log(`  ✗ ${name}\n${String(error?.stack ?? error).replace(/^/gm, "      ")}`);
  }
}

const started = performance.now();
const bundle = await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  metafile: true,
  logLevel: "warning",
});
const code = readFileSync(outfile, "utf8");
console.log(
  `  bundle: ${(code.length / 1024).toFixed(0)} KiB (${Math.round(performance.now() - started)} ms)`,
);

await check("the bundle imports nothing: no node: modules, no externals", () => {
  const imports = Object.values(bundle.metafile.outputs).flatMap((output) => output.imports);
  assert.deepEqual(imports, []);
  assert.doesNotMatch(code, /\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["']node:/);
});

const mf = new Miniflare({
  modules: true,
  scriptPath: outfile,
  compatibilityDate: COMPATIBILITY_DATE,
  cf: false,
});

/** GET `path` on the worker; status, headers and the body text. */
async function get(path, authorization) {
  const response = await mf.dispatchFetch(`http://worker.test${path}`, {
    headers: authorization === undefined ? {} : { Authorization: authorization },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const basic = (username, password) => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
const ada = { id: "1", username: "ada" };
const inWorkerd = { runtime: "Cloudflare-Workers", nodeCrypto: false };

/** 200 with exactly `{ scheme, user, runtime: "Cloudflare-Workers", nodeCrypto: false }`. */
function assertSuccess(response, scheme, user) {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.equal(response.text, JSON.stringify({ scheme, user, ...inWorkerd }));
}

/** 401 with exactly this challenge and DRF body (as JSON text, members in DRF's order). */
function assertDenied(response, challenge, body) {
  assert.equal(response.status, 401, response.text);
  assert.equal(response.headers.get("www-authenticate"), challenge);
  assert.equal(response.headers.get("content-type"), "application/json");
  assert.equal(response.text, JSON.stringify(body));
}

let credentials = { token: "", access: "", refresh: "" };
try {
  await check("TokenAuthentication.issue and obtainPair inside the worker", async () => {
    const response = await get("/credentials");
    assert.equal(response.status, 200, response.text);
    credentials = JSON.parse(response.text);
    assert.match(credentials.token, /^pct_[A-Za-z0-9_-]{43}$/);
    assert.match(credentials.access, /^[\w-]+\.[\w-]+\.[\w-]{43}$/);
    assert.match(credentials.refresh, /^[\w-]+\.[\w-]+\.[\w-]{43}$/);
  });

  await check("Basic: the right password answers 200 with the user, in workerd", async () => {
    assertSuccess(await get("/basic", basic("ada", "correct horse battery staple")), "basic", ada);
  });
  await check("Basic: a wrong password answers 401, Basic realm, Invalid username/password.", async () => {
    assertDenied(await get("/basic", basic("ada", "Correct horse battery staple")), 'Basic realm="api"', {
      detail: "Invalid username/password.",
      code: "authentication_failed",
    });
  });
  await check("Basic: no credentials answer 401, Basic realm, not_authenticated", async () => {
    assertDenied(await get("/basic"), 'Basic realm="api"', {
      detail: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });
  await check(
    "Basic: a 150,000-iteration hash verifies through the fallback past Workers' PBKDF2 cap",
    async () => {
      const before = JSON.parse((await get("/pbkdf2-refusals")).text).refusals;
      assertSuccess(await get("/basic", basic("grace", "over the cap")), "basic", {
        id: "2",
        username: "grace",
      });
      assert.equal(JSON.parse((await get("/pbkdf2-refusals")).text).refusals, before + 1);
    },
  );

  await check("Basic: an argon2 hash verifies on workerd's own thread (no worker there)", async () => {
    assert.deepEqual(JSON.parse((await get("/hash-workers")).text), { kind: null });
    assertSuccess(await get("/basic", basic("hedy", "frequency hopping")), "basic", {
      id: "3",
      username: "hedy",
    });
  });

  await check("Token: the issued token answers 200 with the user", async () => {
    assertSuccess(await get("/token", `Token ${credentials.token}`), "token", ada);
  });
  await check("Token: an unknown token answers 401, Token, Invalid token.", async () => {
    assertDenied(await get("/token", `Token pct_${"A".repeat(43)}`), "Token", {
      detail: "Invalid token.",
      code: "authentication_failed",
    });
  });

  const refused = (message) => ({
    detail: "Given token not valid for any token type",
    code: "token_not_valid",
    messages: [{ token_class: "AccessToken", token_type: "access", message }],
  });
  const bearerChallenge =
    'Bearer realm="api", error="invalid_token", error_description="Given token not valid for any token type"';
  await check("JWT: the access token answers 200 with the user", async () => {
    assertSuccess(await get("/jwt", `Bearer ${credentials.access}`), "jwt", ada);
  });
  await check("JWT: a forged signature answers 401, invalid_token, Token is invalid", async () => {
    const [header, payload, signature] = credentials.access.split(".");
    const forged = `${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
    assertDenied(
      await get("/jwt", `Bearer ${header}.${payload}.${forged}`),
      bearerChallenge,
      refused("Token is invalid"),
    );
  });
  await check("JWT: a refresh token answers 401, invalid_token, Token has wrong type", async () => {
    assertDenied(
      await get("/jwt", `Bearer ${credentials.refresh}`),
      bearerChallenge,
      refused("Token has wrong type"),
    );
  });
} finally {
  await mf.dispose();
}

const failures = results.filter((r) => !r.ok);
const summary = {
  runtime: { name: "workerd", version: workerdVersion, compatibilityDate: COMPATIBILITY_DATE },
  passed: results.length - failures.length,
  total: results.length,
  nodeCrypto: false,
  failures,
};
if (process.env.PORTCULLIS_RT_RESULT)
  writeFileSync(process.env.PORTCULLIS_RT_RESULT, JSON.stringify(summary));
console.log(`  workerd ${workerdVersion}: ${summary.passed}/${summary.total} passed`);
process.exitCode = failures.length === 0 ? 0 : 1;
