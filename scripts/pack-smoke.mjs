#!/usr/bin/env node
// Packs the library, installs the tarball into a fresh temporary project, both `import`s and
// `require`s every subpath in package.json's exports (checking a known export of each), and runs the bin.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const expected = {
  ".": "authenticate",
  "./testing": "checkSchemeContract",
  "./adapter-kit": "guard",
  "./sessions": "maskCsrfSecret",
  "./permissions": "checkObjectPermissions",
  "./throttling": "AnonRateThrottle",
  "./fetch": "withAuth",
  "./node": "toAuthRequest",
  "./express": "auth",
  "./fastify": "plugin",
  "./hono": "auth",
  "./koa": "auth",
  "./kysely": "migrateToLatest",
  "./redis": "RedisTokenStore",
};
// Optional peers an entry point loads at import time: installed next to the tarball, at our dev version.
const peersToInstall = ["kysely"].map((name) => `${name}@${pkg.devDependencies[name]}`);
const subpaths = Object.keys(pkg.exports).filter((key) => key !== "./package.json");
const missing = subpaths.filter((subpath) => !(subpath in expected));
if (missing.length > 0) throw new Error(`pack-smoke: no expected export listed for ${missing.join(", ")}`);

const dir = mkdtempSync(join(tmpdir(), "portcullis-pack-"));
try {
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], {
    cwd: root,
    encoding: "utf8",
  });
  const tarball = join(dir, out.trim().split("\n").pop());
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "smoke", private: true, type: "module" }));
  execFileSync("npm", ["install", "--silent", "--no-audit", "--no-fund", tarball, ...peersToInstall], {
    cwd: dir,
    stdio: "inherit",
  });

  for (const subpath of subpaths) {
    const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    const name = expected[subpath];
    const esm = `const m = await import(${JSON.stringify(specifier)}); if (typeof m.${name} !== "function") throw new Error("import ${specifier}: no ${name}");`;
    const cjs = `const m = require(${JSON.stringify(specifier)}); if (typeof m.${name} !== "function") throw new Error("require ${specifier}: no ${name}");`;
    execFileSync(process.execPath, ["--input-type=module", "-e", esm], { cwd: dir, stdio: "inherit" });
    execFileSync(process.execPath, ["--input-type=commonjs", "-e", cjs], { cwd: dir, stdio: "inherit" });
    console.log(`pack-smoke: import and require ${specifier}: ok`);
  }
  // argon2 in JavaScript runs in a worker whose code ships inside the bundle: hash and verify with it.
  const argon2 = `const o = { algorithm: "argon2", argon2: { timeCost: 1, memoryCost: 64 } };
    const h = await m.hashPassword("pw", o); const r = await m.verifyPassword("pw", h, o);
    if (!h.startsWith("argon2$argon2id$v=19$m=64,t=1,p=1$") || !r.valid) throw new Error("argon2: " + h);`;
  const argon2Esm = `const m = await import(${JSON.stringify(pkg.name)}); ${argon2}`;
  const argon2Cjs = `const m = require(${JSON.stringify(pkg.name)}); (async () => { ${argon2} })().catch((e) => { console.error(e); process.exit(1); });`;
  execFileSync(process.execPath, ["--input-type=module", "-e", argon2Esm], { cwd: dir, stdio: "inherit" });
  execFileSync(process.execPath, ["--input-type=commonjs", "-e", argon2Cjs], { cwd: dir, stdio: "inherit" });
  console.log("pack-smoke: argon2 hash and verify, import and require: ok");
  const bin = join(dir, "node_modules", ".bin", "portcullis");
  const version = execFileSync(bin, ["--version"], { cwd: dir, encoding: "utf8" }).trim();
  if (version !== pkg.version) throw new Error(`pack-smoke: portcullis --version printed ${version}`);
  const hash = execFileSync(bin, ["hash-password", "--iterations", "1000"], {
    cwd: dir,
    input: "pw\n",
    encoding: "utf8",
  });
  if (!/^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$/.test(hash))
    throw new Error(`pack-smoke: hash-password printed ${hash}`);
  console.log("pack-smoke: the portcullis command: ok");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
