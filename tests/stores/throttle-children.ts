/**
 * Several processes hitting one throttle key at once (throttle-child.ts): what they allowed in total,
 * across instances that share nothing but the store.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What a child reads: the store, where it is, the key and how hard to hit it. */
export interface ChildEnv {
  THROTTLE_STORE: "redis" | "postgres";
  THROTTLE_URL: string;
  /** Redis: the key prefix. */
  THROTTLE_PREFIX?: string;
  /** PostgreSQL: the schema holding the migrated tables. */
  THROTTLE_SCHEMA?: string;
  THROTTLE_KEY: string;
  THROTTLE_LIMIT: string;
  /** Hits each process sends in parallel. */
  THROTTLE_CALLS: string;
}

const CHILD = fileURLToPath(new URL("./throttle-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Starts `processes` children, releases them together once all are ready, and answers each one's allowed count. */
export async function hitFromProcesses(env: ChildEnv, processes: number): Promise<number[]> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, ["--import", "tsx", CHILD], {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE_OPTIONS: "" }, // none of the test runner's loader flags
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
  try {
    const outputs = children.map(read);
    await Promise.all(outputs.map((output) => output.line(0)));
    for (const child of children) child.stdin?.write("go\n");
    const answers = await Promise.all(outputs.map((output) => output.line(1)));
    return answers.map((answer) => (JSON.parse(answer) as { allowed: number }).allowed);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

/** A child's stdout by lines; a child that ends (or takes 30 s) first rejects with what it printed. */
function read(child: ChildProcess): { line(index: number): Promise<string> } {
  let output = "";
  let errors = "";
  let closed = false;
  let wake = (): void => {};
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    wake();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  child.once("close", () => {
    closed = true;
    wake();
  });
  return {
    async line(index) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const lines = output.split("\n");
        if (lines.length > index + 1) return lines[index]!;
        if (closed || Date.now() > deadline) {
          throw new Error(
            `the throttle child printed no line ${index} (exit ${child.exitCode}):\n${output}${errors}`,
          );
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
  };
}
