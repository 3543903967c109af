/**
 * The architecture of src/ as DESIGN.md §3 draws it: every folder is a layer, and a file imports only
 * from its own folder or from a layer below. Nothing imports upward, and no two files import each
 * other, directly or round a longer loop (a cycle makes evaluation order, and so bundles, fragile).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/**
 * Bottom to top. A folder may import its own files and any folder of a lower layer; folders of one
 * layer are independent of each other (tokens, sessions and jwt share only what lies in core/ and
 * stores/). `index.ts` and `adapter-kit.ts` are the barrels of `portcullis` and
 * `portcullis/adapter-kit`; testing/ and cli/ sit on top of them.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["core"],
  ["passwords"],
  ["stores"],
  ["tokens", "sessions", "jwt", "throttling"],
  ["schemes"],
  ["endpoints"],
  ["adapters"],
  ["index.ts", "adapter-kit.ts", "permissions.ts"],
  ["testing", "cli"],
];

/** One relative import: `from` and `to` are paths under src/ (`jwt/service.ts`). */
interface Edge {
  from: string;
  to: string;
  /** A dynamic `import()` loads lazily, so it cannot take part in an evaluation cycle. */
  dynamic: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return name.endsWith(".ts") ? [path] : [];
    });
}

/** `./x.js` in src/a/b.ts → `a/x.ts`; a specifier that names no file under src/ throws. */
function resolveSpecifier(file: string, specifier: string): string {
  const base = resolve(dirname(file), specifier);
  for (const candidate of [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]) {
    if (candidate.startsWith(SRC) && statSync(candidate, { throwIfNoEntry: false })?.isFile()) {
      return relative(SRC, candidate).split("\\").join("/");
    }
  }
  throw new Error(`${relative(SRC, file)}: cannot resolve "${specifier}" to a file under src/`);
}

/**
 * Every relative import of a file: `import`, `import type`, `export … from`, `import x = require()`,
 * `import("…")` types and dynamic `import("…")` calls. Bare package specifiers are not ours.
 */
function importsOf(file: string): Edge[] {
  const text = readFileSync(file, "utf8");
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (specifier: ts.Node | undefined, dynamic: boolean): void => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith(".")) return;
    edges.push({ from: relative(SRC, file), to: resolveSpecifier(file, specifier.text), dynamic });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, false);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return edges;
}

/** The folder a file belongs to: `stores/kysely/users.ts` → `stores`; the root barrel is `index.ts`. */
function folderOf(path: string): string {
  return path.split("/")[0]!;
}

/** The layer index of a folder, or -1 when the folder has no place in LAYERS. */
function layerOf(folder: string, layers: readonly (readonly string[])[] = LAYERS): number {
  return layers.findIndex((layer) => layer.includes(folder));
}

/** The imports that break the layering: upward, or sideways between two folders of one layer. */
function layeringViolations(
  edges: readonly Edge[],
  layers: readonly (readonly string[])[] = LAYERS,
): string[] {
  const found: string[] = [];
  for (const { from, to, dynamic } of edges) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === b) continue;
    const [la, lb] = [layerOf(a, layers), layerOf(b, layers)];
    const how = dynamic ? " (dynamic import)" : "";
    if (la > lb) continue;
    if (la === lb) found.push(`${from} → ${to}: ${a}/ and ${b}/ are one layer and independent${how}`);
    else found.push(`${from} → ${to}: ${a}/ may not import ${b}/, a layer above it${how}`);
  }
  return found;
}

/** Every cycle of static imports, one path per strongly connected component: `a.ts → b.ts → a.ts`. */
function importCycles(edges: readonly Edge[]): string[] {
  const next = new Map<string, string[]>();
  for (const { from, to, dynamic } of edges) {
    if (dynamic) continue;
    next.set(from, [...(next.get(from) ?? []), to]);
  }
  // Tarjan's strongly connected components; each component with a loop holds at least one cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || next.get(node)?.includes(node)) components.push(component);
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) connect(node);

  return components.map((component) => {
    // A shortest way back to the component's first file, by breadth-first search inside it.
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const cameFrom = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const node = queue.shift()!;
      const targets = (next.get(node) ?? []).filter((to) => members.has(to)).sort();
      if (targets.includes(start)) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start].join(" → ");
      }
      for (const to of targets) {
        if (cameFrom.has(to) || to === start) continue;
        cameFrom.set(to, node);
        queue.push(to);
      }
    }
    throw new Error(`no cycle found in ${component.join(", ")}`);
  });
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);

describe("the layering of src/", () => {
  it("reads the real import graph", () => {
    // Guards the reader: a parser that found nothing would pass every check below.
    expect(files.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: "index.ts", to: "schemes/basic.ts", dynamic: false });
    expect(edges.some((edge) => edge.from === "schemes/jwt.ts" && edge.to === "jwt/service.ts")).toBe(true);
    expect(edges.filter((edge) => edge.dynamic).length).toBeGreaterThan(0);
  });

  it("gives every folder of src/ a place among the layers", () => {
    const unplaced = [...new Set(files.map((file) => folderOf(relative(SRC, file))))].filter(
      (folder) => layerOf(folder) === -1,
    );
    expect(unplaced).toEqual([]);
  });

  it("has no upward or sideways import between layers", () => {
    expect(layeringViolations(edges)).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(importCycles(edges)).toEqual([]);
  });
});

describe("the checks themselves", () => {
  const edge = (from: string, to: string, dynamic = false): Edge => ({ from, to, dynamic });

  it("names an upward, a sideways and a dynamic upward import, and passes a downward one", () => {
    expect(
      layeringViolations([
        edge("core/events.ts", "stores/types.ts"),
        edge("jwt/service.ts", "tokens/digest.ts"),
        edge("passwords/hash.ts", "schemes/basic.ts", true),
        edge("schemes/jwt.ts", "jwt/service.ts"),
        edge("stores/kysely/users.ts", "stores/types.ts"),
        edge("cli/config.ts", "index.ts"),
      ]),
    ).toEqual([
      "core/events.ts → stores/types.ts: core/ may not import stores/, a layer above it",
      "jwt/service.ts → tokens/digest.ts: jwt/ and tokens/ are one layer and independent",
      "passwords/hash.ts → schemes/basic.ts: passwords/ may not import schemes/, a layer above it (dynamic import)",
    ]);
  });

  it("reports each cycle as a path, and ignores a loop closed only by a dynamic import", () => {
    expect(
      importCycles([
        edge("jwt/service.ts", "jwt/handlers.ts"),
        edge("jwt/handlers.ts", "jwt/service.ts"),
        edge("a/x.ts", "a/y.ts"),
        edge("a/y.ts", "a/z.ts"),
        edge("a/z.ts", "a/x.ts"),
        edge("a/z.ts", "a/y.ts"),
        edge("b/self.ts", "b/self.ts"),
        edge("c/lazy.ts", "c/eager.ts"),
        edge("c/eager.ts", "c/lazy.ts", true),
      ]).sort(),
    ).toEqual([
      "a/x.ts → a/y.ts → a/z.ts → a/x.ts",
      "b/self.ts → b/self.ts",
      "jwt/handlers.ts → jwt/service.ts → jwt/handlers.ts",
    ]);
  });
});
