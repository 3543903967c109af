/**
 * A runner-agnostic check of DRF's scheme contract, for anyone who writes a scheme.
 */
import { AuthError } from "../core/errors.js";
import type { BaseAuthentication } from "../core/scheme.js";
import { makeRequest } from "./request.js";

/** Options for {@link checkSchemeContract}. */
export interface SchemeContractOptions {
  /**
   * The scheme's keyword (`Token`, `ApiKey`); default, for a scheme reading `Authorization`: the first
   * word of its `authenticateHeader()`. A scheme reading another header (`headerName`) without a
   * keyword is checked as keyword-less: any value in that header is an attempt.
   */
  keyword?: string;
  /** How many random headers to try (default 200). */
  runs?: number;
  /** The seed for the random headers (default: random; reported in a failure so it can be replayed). */
  seed?: number;
  /**
   * The header the scheme reads (default `"authorization"`). Another header without a `keyword`
   * (`"x-api-key"`) means a keyword-less scheme: no header is `null`, any value in it an `AuthError`
   * unless it is the right one, and credentials in `Authorization` are someone else's (`null`).
   */
  headerName?: string;
}

/** Thrown by {@link checkSchemeContract} when a scheme breaks DRF's contract. */
export class SchemeContractError extends Error {
  /** Always `"SchemeContractError"`. */
  override readonly name = "SchemeContractError" as const;
}

type Expect = "null" | "auth-error" | "null-or-auth-error";

/**
 * Asserts DRF's contract on any scheme, under any test runner (it throws {@link SchemeContractError}):
 *
 * - no header, and a header with a foreign keyword: `null`;
 * - malformed headers with the scheme's own keyword (bare keyword, extra parts, bad characters,
 *   9 KiB of credentials, …) and random credentials after it: an {@link AuthError}, nothing else;
 * - random headers with random keywords: `null` or an `AuthError`, never a user and never another error.
 *
 * A scheme that reads a header of its own without a keyword (`X-API-Key: <key>`, with `headerName`
 * and no `keyword`) is held to the same contract where any value is an attempt: no header → `null`;
 * `Authorization` credentials of any kind → `null`; any value in its header, malformed or random → an
 * `AuthError`, never a user and never another error.
 *
 * Give it a scheme configured cheaply (a fast `verify`, a low password work factor): it calls the scheme
 * a few hundred times.
 *
 * @param scheme - the scheme under test
 * @param options - keyword, runs, seed, headerName
 * @example
 * ```ts
 * it("keeps the DRF contract", async () => {
 *   await checkSchemeContract(new TokenLikeAuthentication(), { keyword: "ApiKey" });
 * });
 * ```
 * @example A scheme reading an X-API-Key header
 * ```ts
 * await checkSchemeContract(new ApiKeyAuthentication(), { headerName: "x-api-key" });
 * ```
 */
export async function checkSchemeContract(
  scheme: BaseAuthentication<unknown, unknown>,
  options: SchemeContractOptions = {},
): Promise<void> {
  const headerName = (options.headerName ?? "authorization").toLowerCase();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const random = mulberry32(seed);
  const ownHeader = headerName !== "authorization";
  // A challenge names the scheme, not what a header of its own starts with: derived for Authorization only.
  const keyword =
    options.keyword ??
    (ownHeader ? undefined : scheme.authenticateHeader?.(makeRequest())?.trim().split(/[\s,]/)[0]);
  const keywordLess = ownHeader && keyword === undefined;

  const check = async (header: string | null, expect: Expect, name = headerName): Promise<void> => {
    const headers: Record<string, string> = header === null ? {} : { [name]: header };
    const value =
      header === null ? "" : JSON.stringify(header.length > 80 ? `${header.slice(0, 77)}...` : header);
    const shown =
      header === null ? "no header" : name === "authorization" && !ownHeader ? value : `${name}: ${value}`;
    let outcome: string;
    try {
      const result = await scheme.authenticate(makeRequest({ headers }));
      if (result === null) {
        if (expect !== "auth-error") return;
        outcome = "returned null";
      } else {
        // The runner reads undefined as null, but the contract is DRF's: None, written out.
        outcome = result === undefined ? "returned undefined (return null)" : "returned a user";
      }
    } catch (error) {
      if (error instanceof AuthError && expect !== "null") return;
      outcome = `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    }
    const wanted = {
      null: "null",
      "auth-error": "an AuthError",
      "null-or-auth-error": "null or an AuthError",
    }[expect];
    throw new SchemeContractError(
      `Scheme "${scheme.name ?? "anonymous"}" ${outcome} for ${shown}; expected ${wanted} (seed ${seed}).`,
    );
  };

  await check(null, "null");
  if (keywordLess) {
    await checkKeywordLess(check, random, options.runs ?? 200);
    return;
  }
  for (const foreign of [
    "Foreign abc",
    "Negotiate YWJj",
    "X",
    'Digest username="a"',
    "Basicx YWJj",
    "Tokens abc",
  ]) {
    if (keyword === undefined || foreign.split(" ")[0]!.toLowerCase() !== keyword.toLowerCase()) {
      await check(foreign, "null");
    }
  }
  if (keyword !== undefined) {
    const malformed = [
      keyword,
      `${keyword} `,
      `${keyword}\t \t`,
      `${keyword} a b`,
      `${keyword.toUpperCase()} a b`,
      `  ${keyword.toLowerCase()}\ta\tb  `,
      `${keyword} !!!`,
      `${keyword} ==`,
      `${keyword} "quoted"`,
      `${keyword} a\u0000b`,
      `${keyword} \u00ff\u00fe\u00fd`,
      `${keyword} \u2603\u{1F600}`,
      `${keyword} ${"A".repeat(9000)}`,
    ];
    for (const header of malformed) await check(header, "auth-error");
  }
  const runs = options.runs ?? 200;
  for (let i = 0; i < runs; i++) {
    await check(randomText(random, 1 + Math.floor(random() * 60)), "null-or-auth-error");
    if (keyword !== undefined) {
      await check(`${keyword} ${randomText(random, 1 + Math.floor(random() * 60))}`, "auth-error");
    }
  }
}

type Check = (header: string | null, expect: Expect, name?: string) => Promise<void>;

// A header of the scheme's own without a keyword: every value is an attempt.
async function checkKeywordLess(check: Check, random: () => number, runs: number): Promise<void> {
  for (const foreign of ["Basic YWJjOmRlZg==", "Bearer abc", "Token abc", "ApiKey abc"]) {
    await check(foreign, "null", "authorization");
  }
  const attempts = [
    "Foreign abc",
    "Token abc",
    "a b",
    "!!!",
    "==",
    '"quoted"',
    "a\u0000b",
    "\u00ff\u00fe\u00fd",
    "\u2603\u{1F600}",
    "A".repeat(9000),
  ];
  for (const header of attempts) await check(header, "auth-error");
  for (let i = 0; i < runs; i++) {
    const header = randomText(random, 1 + Math.floor(random() * 60));
    // HTTP trims a field's value: one of blanks only arrives empty, which a scheme may read as no header.
    await check(header, header.trim() === "" ? "null-or-auth-error" : "auth-error");
  }
}

const ALPHABETS = [
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.~",
  " \t:;,\"'\\!@#$%^&*()[]{}<>?|`",
  "\u0000\u0001\u001f\u007f\u0080\u00a0\u00ff\u00e9\u0100\u2028\u{1F600}\ud800",
];

function randomText(random: () => number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    const roll = random();
    const alphabet = ALPHABETS[roll < 0.8 ? 0 : roll < 0.95 ? 1 : 2]!;
    text += [...alphabet][Math.floor(random() * [...alphabet].length)];
  }
  return text;
}

// A small seeded PRNG, so a failing header can be replayed with the reported seed.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
