import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCommandArgs } from "../../src/cli/args.js";
import { UsageError } from "../../src/cli/errors.js";
import { readPassword } from "../../src/cli/password-input.js";

const chunked = (bytes: Uint8Array, cuts: number[]) =>
  (async function* () {
    let start = 0;
    for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
      yield bytes.slice(start, cut);
      start = cut;
    }
    yield bytes.slice(start);
  })();
const silent = { write: () => true };

describe("readPassword (piped)", () => {
  it("returns any text less exactly one trailing \\n or \\r\\n, however the bytes are chunked", async () => {
    const text = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom("a", " ", "\t", "\r", "\n", "é", "😀", "\uFEFF") }),
    );
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.constantFrom("", "\n", "\r\n"),
        fc.array(fc.nat()),
        async (body, ending, cuts) => {
          const input = body + ending;
          const bytes = new TextEncoder().encode(input);
          expect(await readPassword(chunked(bytes, cuts), silent)).toBe(input.replace(/\r?\n$/, ""));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("parseCommandArgs", () => {
  const options = {
    reset: { type: "boolean", short: "r" },
    name: { type: "string" },
    help: { type: "boolean", short: "h" },
  } as const;

  it("answers or throws a UsageError for any argument list, never anything else", () => {
    const arg = fc.oneof(
      fc.constantFrom("--reset", "-r", "--name", "--name=x", "--help", "--", "-", "--bogus", "-rx", "ada"),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 6 }), (args) => {
        try {
          const parsed = parseCommandArgs("create-token", args, options, ["username"]);
          if (!parsed.help) expect(parsed.positionals).toHaveLength(1);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as UsageError).command).toBe("create-token");
        }
      }),
    );
  });

  it("keeps positionals after -- as they are", () => {
    fc.assert(
      fc.property(fc.string(), (username) => {
        const parsed = parseCommandArgs("create-token", ["--reset", "--", username], options, ["username"]);
        expect(parsed).toEqual({ help: false, values: { reset: true }, positionals: [username] });
      }),
    );
  });
});
