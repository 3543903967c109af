import { describe, expect, it } from "vitest";
import { validateFields } from "../../src/endpoints/fields.js";
import { createJWTHandlers, obtainAuthToken, tokenLogin } from "../../src/endpoints/index.js";
import { JWTService } from "../../src/jwt/service.js";
import { passwords, postJson, read, setup } from "./setup.js";

// Issue 17 item 14: the Python-strip imitation was the regex /^[ws]+|[ws]+$/g, quadratic in a run of
// whitespace followed by anything else ("a" + 65,000 spaces + "a" held the process for 5-10 s).

const BAD_CREDENTIALS = { non_field_errors: ["Unable to log in with provided credentials."] };
const MIB = 1 << 20;
// Far below a second on any machine for a linear scan; the old regex took hours on a mebibyte.
const FAST_MS = 500;

// Every character Python's str.isspace() accepts (checked against CPython over all of Unicode).
const PYTHON_SPACES = [
  "\t",
  "\n",
  "\v",
  "\f",
  "\r",
  "\x1c",
  "\x1d",
  "\x1e",
  "\x1f",
  " ",
  "\x85",
  "\xa0",
  "\u1680",
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
];

async function timed<T>(work: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

const json = (value: unknown) => ({ type: "json" as const, value, text: JSON.stringify(value) });

describe("trimming fields (Python's str.strip) in linear time", () => {
  it("answers a 1 MiB whitespace run between two letters well under a second", async () => {
    const username = `a${" ".repeat(MIB)}a`;
    const { value, ms } = await timed(() => validateFields(json({ username }), { username: {} }));
    expect(ms).toBeLessThan(FAST_MS);
    expect(value).toEqual({ username });
  });

  it("answers a 1 MiB whitespace-only field as blank, well under a second", async () => {
    const { value, ms } = await timed(async () => {
      const answer = validateFields(json({ username: " ".repeat(MIB) }), { username: {} });
      return answer instanceof Response ? { status: answer.status, body: await answer.json() } : answer;
    });
    expect(ms).toBeLessThan(FAST_MS);
    expect(value).toEqual({ status: 400, body: { username: ["This field may not be blank."] } });
  });

  it("strips 1 MiB of mixed Python whitespace on each side, in a form body too", async () => {
    const run = Array.from({ length: MIB / PYTHON_SPACES.length }, (_, i) => PYTHON_SPACES[i % 29]).join("");
    const fields = new URLSearchParams({ username: `${run}ada${run}`, token: `${run}x${run}y${run}` });
    const { value, ms } = await timed(() =>
      validateFields({ type: "form", fields }, { username: {}, token: {} }),
    );
    expect(ms).toBeLessThan(FAST_MS);
    expect(value).toEqual({ username: "ada", token: `x${run}y` });
  });

  it.each(PYTHON_SPACES.map((space) => [space.charCodeAt(0).toString(16), space]))(
    "strips U+%s from both ends and counts it as blank",
    (_, space) => {
      expect(validateFields(json({ f: `${space}${space}a b${space}` }), { f: {} })).toEqual({ f: "a b" });
      const blank = validateFields(json({ f: space }), { f: {} });
      expect(blank).toBeInstanceOf(Response);
    },
  );

  it.each([
    ["U+FEFF", "\ufeff"],
    ["U+200B", "\u200b"],
    ["U+180E", "\u180e"],
    ["NUL", "\0x"],
  ])("keeps %s, which Python's strip() keeps", (_, edge) => {
    expect(validateFields(json({ f: `${edge}a${edge}` }), { f: { allowBlank: true } })).not.toEqual({
      f: "a",
    });
  });

  it("never trims a field with trimWhitespace: false", () => {
    expect(validateFields(json({ password: "  x  " }), { password: { trimWhitespace: false } })).toEqual({
      password: "  x  ",
    });
  });
});

describe("the endpoints under a whitespace-padded field", () => {
  const padded = `a${" ".repeat(65_000)}a`;

  it("obtainAuthToken answers the issue's 65,000-space username with 400 at once", async () => {
    const { users, tokens } = await setup();
    const handler = obtainAuthToken({ users, tokens, passwords });
    const { value, ms } = await timed(async () =>
      read(await handler(postJson({ username: padded, password: "x" }))),
    );
    expect(ms).toBeLessThan(FAST_MS);
    expect(value).toMatchObject({ status: 400, body: BAD_CREDENTIALS });
  });

  it("tokenLogin answers a padded username and name at once", async () => {
    const { users, tokens } = await setup();
    const handler = tokenLogin({ users, tokens, passwords });
    const body = { username: padded.slice(0, 30_000), password: "x", name: padded.slice(0, 30_000) };
    const { value, ms } = await timed(async () => read(await handler(postJson(body))));
    expect(ms).toBeLessThan(FAST_MS);
    expect(value).toMatchObject({ status: 400, body: BAD_CREDENTIALS });
  });

  it("the JWT refresh and verify endpoints answer a padded token at once", async () => {
    const { users } = await setup();
    const jwt = new JWTService({ signingKey: "a-test-secret-that-is-at-least-32-bytes-long", users });
    const api = createJWTHandlers(jwt, { passwords });
    for (const [handler, field] of [
      [api.refresh, "refresh"],
      [api.verify, "token"],
    ] as const) {
      const { value, ms } = await timed(async () => read(await handler(postJson({ [field]: padded }))));
      expect(ms).toBeLessThan(FAST_MS);
      expect(value).toMatchObject({ status: 401, body: { code: "token_not_valid" } });
    }
  });
});
