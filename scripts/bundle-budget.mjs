#!/usr/bin/env node
// `npm run check:bundle` (after `npm run build`): the bundle budgets of issue 18.
//
// Each budget is a small application entry that imports a few names from the published package
// ("portcullis", resolved through package.json's exports to dist/), bundled the way an edge worker is:
// esbuild --bundle --minify --format=esm --platform=neutral, node: built-ins external. Splitting is on,
// so a dynamic import() lands in its own chunk: the budget counts the entry chunk and every chunk it
// imports statically (what loads before the first request); the lazy chunks are printed apart.
// A budget fails when that static size is over its limit, or when a module it must not load up front
// (jose, @noble/hashes argon2 / scrypt, the hashing worker's source) is in the static graph.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const KB = 1024;

/** Modules that must stay out of a budget's static graph, by a test on the input path. */
const HEAVY = {
  jose: (path) => /node_modules\/jose\//.test(path),
  "@noble/hashes argon2": (path) => /node_modules\/@noble\/hashes\/.*argon2/.test(path),
  "@noble/hashes scrypt": (path) => /node_modules\/@noble\/hashes\/.*scrypt/.test(path),
  "hash-worker-source": (path) => /hash-worker-source/.test(path),
};

const BUDGETS = [
  {
    name: "authenticate + BasicAuthentication + MemoryUserStore",
    source: `import { authenticate, BasicAuthentication, MemoryUserStore } from "portcullis";
const users = new MemoryUserStore();
const schemes = [new BasicAuthentication({ users })];
export default { fetch: (request) => authenticate(request, schemes) };`,
    limit: 25 * KB,
    forbidden: ["jose", "@noble/hashes argon2", "@noble/hashes scrypt", "hash-worker-source"],
  },
  {
    name: "JWTAuthentication + JWTService (HS256)",
    source: `import { JWTAuthentication, JWTService, MemoryUserStore } from "portcullis";
const users = new MemoryUserStore();
const jwt = new JWTService({ algorithm: "HS256", signingKey: "a-secret-of-at-least-32-bytes-long!!", users });
const scheme = new JWTAuthentication({ jwt });
export default { fetch: (request) => scheme.authenticate(request) };`,
    limit: 60 * KB,
    forbidden: ["@noble/hashes argon2", "@noble/hashes scrypt", "hash-worker-source"],
  },
];

/** Bundles one entry; returns the static and lazy byte counts and the static graph's input paths. */
async function measure(source, outdir) {
  const result = await build({
    stdin: { contents: source, resolveDir: root, sourcefile: "budget-entry.js", loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    // Resolve the package the way a bundler for workers does (exports' "import", then "default").
    mainFields: ["module", "main"],
    conditions: ["worker", "browser"],
    external: ["node:*"],
    splitting: true,
    outdir,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((file) => outputs[file].entryPoint !== undefined);
  const reached = new Set();
  const walk = (file) => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const edge of outputs[file].imports) {
      if (edge.kind === "import-statement" && !edge.external) walk(edge.path);
    }
  };
  walk(entry);
  let staticBytes = 0;
  let lazyBytes = 0;
  const staticInputs = [];
  for (const [file, output] of Object.entries(outputs)) {
    if (file.endsWith(".map")) continue;
    if (reached.has(file)) {
      staticBytes += output.bytes;
      staticInputs.push(...Object.keys(output.inputs));
    } else {
      lazyBytes += output.bytes;
    }
  }
  return { staticBytes, lazyBytes, staticInputs };
}

const outdir = mkdtempSync(join(tmpdir(), "portcullis-budget-"));
const failures = [];
try {
  for (const budget of BUDGETS) {
    const { staticBytes, lazyBytes, staticInputs } = await measure(budget.source, outdir);
    const over = staticBytes > budget.limit;
    const heavy = budget.forbidden.filter((name) => staticInputs.some(HEAVY[name]));
    const ok = !over && heavy.length === 0;
    console.log(
      `bundle-budget: ${ok ? "ok  " : "FAIL"} ${budget.name}: ${(staticBytes / KB).toFixed(1)} KB static ` +
        `(limit ${budget.limit / KB} KB), ${(lazyBytes / KB).toFixed(1)} KB lazy`,
    );
    if (over) failures.push(`${budget.name}: ${(staticBytes / KB).toFixed(1)} KB > ${budget.limit / KB} KB`);
    for (const name of heavy) {
      const paths = staticInputs.filter(HEAVY[name]).map((path) => path.replace(/^.*node_modules\//, ""));
      failures.push(`${budget.name}: ${name} is in the static graph (${paths.slice(0, 3).join(", ")})`);
    }
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
if (failures.length > 0) {
  for (const failure of failures) console.error(`bundle-budget: ${failure}`);
  process.exit(1);
}
