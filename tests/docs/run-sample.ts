/**
 * Runs a docs sample: bundled with esbuild (`portcullis/*` from src/, packages from node_modules), written
 * next to the sources and imported. What it takes from the text around it (tests/docs/prelude.ts) is
 * bound at the top of the module, and every value it declares at its top level is exported, so that the
 * test can use what the sample built.
 */
import { rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, Server } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import ts from "typescript";
import { ENTRY_POINTS, moduleText, ROOT, type Sample } from "./samples.js";

const CONTEXTS = Symbol.for("portcullis.docs.contexts");
type Registry = Map<number, Record<string, unknown>>;
const registry: Registry =
  ((globalThis as Record<symbol, unknown>)[CONTEXTS] as Registry | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[CONTEXTS] = registry;

let count = 0;

/** The names a module declares at its top level, and those of them it does not export yet. */
function topLevel(code: string): { declared: Set<string>; unexported: string[] } {
  const source = ts.createSourceFile("sample.ts", code, ts.ScriptTarget.ES2022, true);
  const declared = new Set<string>();
  const unexported: string[] = [];
  const names = (name: ts.BindingName): string[] =>
    ts.isIdentifier(name)
      ? [name.text]
      : name.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : names(element.name)));
  for (const statement of source.statements) {
    const exported = ts
      .getModifiers(statement as ts.HasModifiers)
      ?.some(
        (modifier) =>
          modifier.kind === ts.SyntaxKind.ExportKeyword || modifier.kind === ts.SyntaxKind.DeclareKeyword,
      );
    let found: string[] = [];
    let value = true;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) found.push(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) found.push(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) found.push(...bindings.elements.map((e) => e.name.text));
      value = false;
    } else if (ts.isVariableStatement(statement)) {
      found = statement.declarationList.declarations.flatMap((declaration) => names(declaration.name));
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      found = [statement.name.text];
    } else {
      continue;
    }
    for (const name of found) declared.add(name);
    if (value && !exported) unexported.push(...found);
  }
  return { declared, unexported };
}

/**
 * The module a sample runs as: `moduleText` (a handler body inside `export async function sample()`),
 * the context's names it uses bound first, its top-level values exported last.
 */
export function runnableText(sample: Sample, contextNames: string[], key: number): string {
  const text = moduleText(sample);
  const { declared, unexported } = topLevel(text);
  const identifiers = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) identifiers.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile("sample.ts", text, ts.ScriptTarget.ES2022, true));
  const used = contextNames.filter((name) => !declared.has(name) && identifiers.has(name));
  const bind =
    used.length === 0
      ? ""
      : `const { ${used.join(", ")} } = globalThis[Symbol.for("portcullis.docs.contexts")].get(${key});\n`;
  const exports = unexported.length === 0 ? "" : `\nexport { ${unexported.join(", ")} };\n`;
  return `${bind}${text}${exports}`;
}

/**
 * `portcullis/*` as the sources themselves, imported (not bundled), so that the sample and the test share
 * one copy of every class (`instanceof StoreUnavailable` holds across them).
 */
const sources: Plugin = {
  name: "docs-portcullis-sources",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^portcullis(\/|$)/ }, ({ path }) => {
      const file = ENTRY_POINTS[path];
      return file ? { path: pathToFileURL(join(ROOT, file)).href, external: true } : undefined;
    });
  },
};

/**
 * A Next.js app's own `@/lib/auth`, which the App Router samples import their stores from: the names
 * they import, taken from the context.
 */
function appModule(sample: Sample, key: number): Plugin {
  return {
    name: "docs-app-module",
    setup(esbuild) {
      esbuild.onResolve({ filter: /^@\/lib\/auth$/ }, () => ({ path: "@/lib/auth", namespace: "docs-app" }));
      esbuild.onLoad({ filter: /.*/, namespace: "docs-app" }, () => {
        const imported = /import\s*\{([^}]*)\}\s*from\s*"@\/lib\/auth"/.exec(sample.code)?.[1] ?? "";
        const names = imported
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean);
        return {
          contents: `const context = globalThis[Symbol.for("portcullis.docs.contexts")].get(${key});\n${names
            .map((name) => `export const ${name} = context.${name};`)
            .join("\n")}\n`,
          loader: "js",
        };
      });
    },
  };
}

/**
 * Imports the sample as a module, with the `context`'s names bound for it.
 *
 * @returns the module's exports
 */
export async function runSample(
  sample: Sample,
  context: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const key = ++count;
  const result = await build({
    stdin: {
      contents: runnableText(sample, Object.keys(context), key),
      resolveDir: ROOT,
      loader: "ts",
      sourcefile: sample.id,
    },
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    packages: "external",
    plugins: [sources, appModule(sample, key)],
    logLevel: "silent",
  });
  const file = join(ROOT, `.docs-sample-run-${process.pid}-${key}.mjs`);
  writeFileSync(file, result.outputFiles[0]!.text);
  registry.set(key, context);
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Runs `start` with every `server.listen(port)` turned into a listen on 127.0.0.1 and an ephemeral port,
 * and gives back the servers it started.
 */
export async function capturingListen(start: () => Promise<unknown>): Promise<Server[]> {
  const started: Server[] = [];
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    started.push(this);
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    return (listen as (port: number, host: string, callback?: () => void) => Server).call(
      this,
      0,
      "127.0.0.1",
      callback,
    );
  } as typeof Server.prototype.listen;
  try {
    await start();
  } finally {
    Server.prototype.listen = listen;
  }
  await Promise.all(
    started.map((server) =>
      server.listening ? undefined : new Promise((resolve) => server.once("listening", resolve)),
    ),
  );
  return started;
}

/** `http://127.0.0.1:<port>` of a listening server. */
export function origin(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
