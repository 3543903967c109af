/**
 * The code samples of README.md and docs/*.md: every fenced `ts` block, with where it is, and the
 * TypeScript program that type-checks them all against the sources (`portcullis/*` mapped to src/).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One fenced `ts` block. */
export interface Sample {
  /** `docs/adapters.md:97`: the file and the line of the opening fence. */
  id: string;
  /** The file, relative to the root. */
  file: string;
  /** The block's code. */
  code: string;
}

/** Every ```ts block of README.md and docs/*.md, in order. */
export function samples(): Sample[] {
  const files = [
    "README.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((name) => name.endsWith(".md"))
      .sort()
      .map((name) => `docs/${name}`),
  ];
  const found: Sample[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
      found.push({ id: `${file}:${start + 1}`, file, code: body.join("\n") });
    }
  }
  return found;
}

/** The subpath exports, as the package's users import them, mapped to their sources. */
export const ENTRY_POINTS: Record<string, string> = {
  portcullis: "src/index.ts",
  "portcullis/testing": "src/testing/index.ts",
  "portcullis/adapter-kit": "src/adapter-kit.ts",
  "portcullis/sessions": "src/sessions/index.ts",
  "portcullis/permissions": "src/permissions.ts",
  "portcullis/throttling": "src/throttling/index.ts",
  "portcullis/fetch": "src/adapters/fetch.ts",
  "portcullis/node": "src/adapters/node.ts",
  "portcullis/express": "src/adapters/express.ts",
  "portcullis/fastify": "src/adapters/fastify.ts",
  "portcullis/hono": "src/adapters/hono.ts",
  "portcullis/koa": "src/adapters/koa.ts",
  "portcullis/kysely": "src/stores/kysely/index.ts",
  "portcullis/redis": "src/stores/redis/index.ts",
};

const PRELUDE = [join(ROOT, "tests/docs/prelude.d.ts"), join(ROOT, "tests/docs/modules.d.ts")];

/** The virtual file a sample is checked as: a module (its names shadow the prelude's), at the root. */
export function sampleFile(sample: Sample): string {
  return join(ROOT, `.docs-sample-${sample.id.replace(/[^a-z0-9]+/gi, "-")}.ts`);
}

/**
 * A sample as a module. A block that is the body of a handler (a `return` at its top level) is checked
 * inside an async function, its imports kept at the top.
 */
export function moduleText(sample: Sample): string {
  const lines = sample.code.split("\n");
  if (!returnsAtTopLevel(sample.code)) return `${sample.code}\nexport {};\n`;
  const imports = lines.filter((line) => line.startsWith("import "));
  const body = lines.filter((line) => !line.startsWith("import "));
  return `${imports.join("\n")}\nexport async function sample(): Promise<unknown> {\n${body.join("\n")}\n}\n`;
}

function returnsAtTopLevel(code: string): boolean {
  const source = ts.createSourceFile("sample.ts", code, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node): boolean =>
    ts.isReturnStatement(node) ||
    (!ts.isFunctionLike(node) && !ts.isClassLike(node) && ts.forEachChild(node, visit) === true);
  return source.statements.some(visit);
}

/**
 * Type-checks every sample, each as its own module, against the sources and the prelude's declarations
 * (the names a sample takes from the text around it: `users`, `schemes`, `app`…).
 *
 * @returns the diagnostics of each sample that has any, by sample id
 */
export function typeCheck(list: Sample[]): Map<string, string[]> {
  const byFile = new Map(list.map((sample) => [sampleFile(sample), sample]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    allowImportingTsExtensions: true,
    baseUrl: ROOT,
    paths: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, file]) => [name, [file]])),
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => {
    const sample = byFile.get(name);
    return sample ? moduleText(sample) : readFile(name);
  };
  host.fileExists = (name) => byFile.has(name) || fileExists(name);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, onError, create) => {
    const sample = byFile.get(name);
    if (sample) return ts.createSourceFile(name, moduleText(sample), language, true, ts.ScriptKind.TS);
    return getSourceFile(name, language, onError, create);
  };
  const program = ts.createProgram([...PRELUDE, ...byFile.keys()], options, host);
  const found = new Map<string, string[]>();
  for (const [file, sample] of byFile) {
    const source = program.getSourceFile(file)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    if (diagnostics.length === 0) continue;
    found.set(
      sample.id,
      diagnostics.map((d) => {
        const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
        return `line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      }),
    );
  }
  return found;
}
