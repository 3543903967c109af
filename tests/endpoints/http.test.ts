import { describe, expect, it } from "vitest";
import { obtainAuthToken, tokenLogin, tokenLogout, tokenLogoutAll } from "../../src/endpoints/index.js";
import { passwords, postEmpty, postJson, read, setup, URL_BASE } from "./setup.js";

const BAD_CREDENTIALS = { non_field_errors: ["Unable to log in with provided credentials."] };
const REQUIRED = ["This field is required."];

async function handlers() {
  const ctx = await setup();
  const { users, tokens, auth } = ctx;
  return {
    ...ctx,
    all: {
      obtainAuthToken: obtainAuthToken({ users, tokens, passwords }),
      tokenLogin: tokenLogin({ users, tokens, passwords }),
      tokenLogout: tokenLogout({ auth, tokens }),
      tokenLogoutAll: tokenLogoutAll({ auth, tokens }),
    },
  };
}

async function obtain(request: Request) {
  const { users, tokens } = await setup();
  return read(await obtainAuthToken({ users, tokens, passwords })(request));
}

describe("methods (DRF's APIView)", () => {
  const names = ["obtainAuthToken", "tokenLogin", "tokenLogout", "tokenLogoutAll"] as const;

  it.each(names.flatMap((name) => ["GET", "PUT", "PATCH", "DELETE", "HEAD"].map((m) => [name, m] as const)))(
    "%s answers %s with 405 and Allow",
    async (name, method) => {
      const { all } = await handlers();
      const response = await read(await all[name](new Request(URL_BASE, { method })));
      expect(response.status).toBe(405);
      expect(response.allow).toBe("POST, OPTIONS");
      expect(response.contentType).toBe("application/json");
      expect(response.text).toBe(`{"detail":"Method \\"${method}\\" not allowed."}`);
    },
  );

  it.each(names)(
    "%s names a method Fetch leaves in lower case upper-cased, as Django's request.method",
    async (name) => {
      const { all } = await handlers();
      const response = await read(await all[name](new Request(URL_BASE, { method: "patch" })));
      expect(response.status).toBe(405);
      expect(response.text).toBe(`{"detail":"Method \\"PATCH\\" not allowed."}`);
    },
  );

  it.each(names)("%s answers OPTIONS with 200, Allow and {}", async (name) => {
    const { all } = await handlers();
    const response = await read(await all[name](new Request(URL_BASE, { method: "OPTIONS" })));
    expect(response).toMatchObject({ status: 200, allow: "POST, OPTIONS", body: {} });
  });

  it("sends Allow on every answer, as DRF's default_response_headers", async () => {
    const ok = await obtain(postJson({ username: "ada", password: "correct horse" }));
    const bad = await obtain(postJson({}));
    expect([ok.status, ok.allow]).toEqual([200, "POST, OPTIONS"]);
    expect([bad.status, bad.allow]).toEqual([400, "POST, OPTIONS"]);
  });
});

describe("media types (DRF's parsers)", () => {
  it.each([
    ["application/json", JSON.stringify({ username: "ada", password: "correct horse" })],
    ["Application/JSON; charset=UTF-8", JSON.stringify({ username: "ada", password: "correct horse" })],
    ["application/x-www-form-urlencoded", "username=ada&password=correct+horse"],
    ["APPLICATION/X-WWW-FORM-URLENCODED;charset=utf-8", "username=ada&password=correct%20horse"],
  ])("accepts %s", async (contentType, body) => {
    const response = await obtain(
      new Request(URL_BASE, { method: "POST", headers: { "Content-Type": contentType }, body }),
    );
    expect(response.status).toBe(200);
  });

  it("accepts URLSearchParams and FormData bodies (urlencoded and multipart)", async () => {
    const form = new URLSearchParams({ username: "ada", password: "correct horse" });
    const multipart = new FormData();
    multipart.set("username", "ada");
    multipart.set("password", "correct horse");
    for (const body of [form, multipart]) {
      expect((await obtain(new Request(URL_BASE, { method: "POST", body }))).status).toBe(200);
    }
  });

  it("takes the last value of a repeated form field (QueryDict)", async () => {
    const body = "username=mallory&username=ada&password=correct+horse";
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };
    expect((await obtain(new Request(URL_BASE, { method: "POST", headers, body }))).status).toBe(200);
  });

  it("refuses a multipart file where a string is expected", async () => {
    const multipart = new FormData();
    multipart.set("username", new Blob(["ada"]), "username.txt");
    multipart.set("password", "correct horse");
    const response = await obtain(new Request(URL_BASE, { method: "POST", body: multipart }));
    expect(response).toMatchObject({ status: 400, body: { username: ["Not a valid string."] } });
  });

  it("answers a multipart body without boundary as Django does", async () => {
    const headers = { "Content-Type": "multipart/form-data" };
    const response = await obtain(new Request(URL_BASE, { method: "POST", headers, body: "x" }));
    expect(response).toMatchObject({
      status: 400,
      body: { detail: "Multipart form parse error - Invalid boundary in multipart: None" },
    });
  });

  it("answers a broken multipart body with 400", async () => {
    const headers = { "Content-Type": "multipart/form-data; boundary=xyz" };
    const response = await obtain(new Request(URL_BASE, { method: "POST", headers, body: "garbage" }));
    expect(response.status).toBe(400);
    expect((response.body as { detail: string }).detail).toMatch(/^Multipart form parse error - ./);
  });

  it.each([
    ["text/plain", "text/plain"],
    ["text/plain; charset=utf-8", "text/plain; charset=utf-8"],
    ["application/xml", "application/xml"],
  ])("answers %s with 415, naming the header as sent", async (contentType, named) => {
    const response = await obtain(
      new Request(URL_BASE, { method: "POST", headers: { "Content-Type": contentType }, body: "x" }),
    );
    expect(response.status).toBe(415);
    expect(response.contentType).toBe("application/json");
    expect(response.body).toEqual({ detail: `Unsupported media type "${named}" in request.` });
  });

  it('answers a body without Content-Type with 415 and "" (Django\'s empty CONTENT_TYPE)', async () => {
    const response = await obtain(new Request(URL_BASE, { method: "POST", body: new Uint8Array([120]) }));
    expect(response).toMatchObject({
      status: 415,
      body: { detail: 'Unsupported media type "" in request.' },
    });
  });

  it("refuses an unsupported body with a Content-Length without reading it", async () => {
    const request = new Request(URL_BASE, {
      method: "POST",
      headers: { "Content-Type": "text/plain", "Content-Length": "1" },
      body: "x",
    });
    expect((await obtain(request)).status).toBe(415);
    expect(request.bodyUsed).toBe(false);
  });

  it.each([
    ["no Content-Type", postEmpty()],
    ["JSON", postEmpty({ "Content-Type": "application/json" })],
    ["text/plain (DRF never picks a parser for an empty body)", postEmpty({ "Content-Type": "text/plain" })],
    ["a zero-length string", new Request(URL_BASE, { method: "POST", body: "" })],
  ])("reads an empty body with %s as no data", async (_, request) => {
    const response = await obtain(request);
    expect(response).toMatchObject({ status: 400, body: { username: REQUIRED, password: REQUIRED } });
  });
});

describe("body size (64 KiB)", () => {
  const LIMIT = 65_536;

  it("answers 413 from Content-Length alone, without reading", async () => {
    const request = postJson("{}", { "Content-Length": String(LIMIT + 1) });
    const response = await obtain(request);
    expect(response).toMatchObject({ status: 413, body: { detail: "Request body exceeds 65536 bytes." } });
    expect(request.bodyUsed).toBe(false);
  });

  it("answers 413 for a body one byte over the limit, and reads one exactly at it", async () => {
    const json = JSON.stringify({ username: "ada", password: "correct horse" });
    const over = await obtain(postJson(json.padEnd(LIMIT + 1, " ")));
    expect(over).toMatchObject({ status: 413, body: { detail: "Request body exceeds 65536 bytes." } });
    expect((await obtain(postJson(json.padEnd(LIMIT, " ")))).status).toBe(200);
  });

  it("stops reading a chunked stream without length at the limit and cancels it", async () => {
    const CHUNK = 16_384;
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK).fill(0x20)); // endless whitespace
      },
      cancel() {
        cancelled = true;
      },
    });
    const request = new Request(URL_BASE, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(request.headers.get("Content-Length")).toBeNull();
    const response = await obtain(request);
    expect(response).toMatchObject({ status: 413, body: { detail: "Request body exceeds 65536 bytes." } });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(LIMIT + 3 * CHUNK); // the crossing chunk and the stream's read-ahead
  });
});

describe("JSON parsing (DRF's JSONParser)", () => {
  it.each([['{"username": "ada",'], ["{'username': 'ada'}"], ["NaN"], ["\u{feff}{}"]])(
    "answers malformed JSON %j with 400 JSON parse error",
    async (text) => {
      const response = await obtain(postJson(text));
      expect(response.status).toBe(400);
      expect(Object.keys(response.body as object)).toEqual(["detail"]);
      expect((response.body as { detail: string }).detail).toMatch(/^JSON parse error - ./);
    },
  );

  it("answers invalid UTF-8 with a JSON parse error", async () => {
    const request = new Request(URL_BASE, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    });
    expect(await obtain(request)).toMatchObject({
      status: 400,
      body: { detail: "JSON parse error - Request body is not valid UTF-8." },
    });
  });

  it.each([
    ["[]", "list"],
    ['["ada", "correct horse"]', "list"],
    ["1", "int"],
    ["-0", "int"],
    ["1.0", "float"],
    ["1e3", "float"],
    ['"ada"', "str"],
    ["true", "bool"],
    [" false ", "bool"],
  ])("answers the non-object %s with Python's type name (%s)", async (text, type) => {
    const response = await obtain(postJson(text));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`],
    });
  });

  it('answers a JSON null as DRF\'s Serializer does: "No data provided"', async () => {
    expect(await obtain(postJson("null"))).toMatchObject({
      status: 400,
      body: { non_field_errors: ["No data provided"] },
    });
  });
});

describe("fields (AuthTokenSerializer's CharFields)", () => {
  it.each([
    [{}, { username: REQUIRED, password: REQUIRED }],
    [{ password: "correct horse" }, { username: REQUIRED }],
    [{ username: "ada" }, { password: REQUIRED }],
    [
      { username: null, password: null },
      { username: ["This field may not be null."], password: ["This field may not be null."] },
    ],
    [
      { username: "", password: "" },
      { username: ["This field may not be blank."], password: ["This field may not be blank."] },
    ],
    [{ username: " \t\n ", password: "x" }, { username: ["This field may not be blank."] }],
    [{ username: "\u3000\x85\x1c", password: "x" }, { username: ["This field may not be blank."] }],
    [{ username: true, password: "x" }, { username: ["Not a valid string."] }],
    [
      { username: {}, password: [] },
      { username: ["Not a valid string."], password: ["Not a valid string."] },
    ],
    [{ username: "ada", password: false }, { password: ["Not a valid string."] }],
    [{ username: "a\u0000da", password: "x" }, { username: ["Null characters are not allowed."] }],
    [
      { username: "", password: null },
      { username: ["This field may not be blank."], password: ["This field may not be null."] },
    ],
  ])("%j → 400 %j", async (body, errors) => {
    const response = await obtain(postJson(body));
    expect(response.status).toBe(400);
    expect(response.contentType).toBe("application/json");
    expect(response.body).toEqual(errors);
    expect(Object.keys(response.body as object)).toEqual(Object.keys(errors)); // field order
  });

  it("answers a lone surrogate as DRF's ProhibitSurrogateCharactersValidator", async () => {
    const response = await obtain(postJson('{"username": "ad\\ud800a", "password": "x"}'));
    expect(response).toMatchObject({
      status: 400,
      body: { username: ["Surrogate characters are not allowed: U+D800."] },
    });
  });

  it("accepts a surrogate pair", async () => {
    const response = await obtain(postJson({ username: "ada\u{1F600}", password: "x" }));
    expect(response).toMatchObject({ status: 400, body: BAD_CREDENTIALS });
  });

  it("converts numbers to strings", async () => {
    const { users, tokens } = await setup();
    const { hashPassword } = await import("../../src/index.js");
    await users.create({ username: "42", passwordHash: await hashPassword("1234", passwords) });
    const handler = obtainAuthToken({ users, tokens, passwords });
    expect((await handler(postJson({ username: 42, password: 1234 }))).status).toBe(200);
  });

  it("trims the username with Python's whitespace and never the password", async () => {
    expect((await obtain(postJson({ username: " ada\n", password: "correct horse" }))).status).toBe(200);
    expect((await obtain(postJson({ username: "\x1cada\x85", password: "correct horse" }))).status).toBe(200);
    // U+FEFF is whitespace to JS's trim() but not to Python's strip().
    expect(await obtain(postJson({ username: "\u{feff}ada", password: "correct horse" }))).toMatchObject({
      status: 400,
      body: BAD_CREDENTIALS,
    });
    expect(await obtain(postJson({ username: "ada", password: " correct horse " }))).toMatchObject({
      status: 400,
      body: BAD_CREDENTIALS,
    });
    // A whitespace-only password is a value (trim_whitespace=False), so it is checked, not "blank".
    expect(await obtain(postJson({ username: "ada", password: "   " }))).toMatchObject({
      status: 400,
      body: BAD_CREDENTIALS,
    });
  });

  it("reports field errors of form bodies the same way", async () => {
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };
    const response = await obtain(new Request(URL_BASE, { method: "POST", headers, body: "username=&x=1" }));
    expect(response).toMatchObject({
      status: 400,
      body: { username: ["This field may not be blank."], password: REQUIRED },
    });
  });
});

describe("bad credentials", () => {
  it.each([
    ["an unknown user", { username: "nobody", password: "correct horse" }],
    ["a wrong password", { username: "ada", password: "wrong horse" }],
    ["an inactive user with the right password", { username: "eve", password: "correct horse" }],
    ["a username differing in case", { username: "Ada", password: "correct horse" }],
  ])("answers %s with the same 400", async (_, body) => {
    const response = await obtain(postJson(body));
    expect(response.status).toBe(400);
    expect(response.text).toBe('{"non_field_errors":["Unable to log in with provided credentials."]}');
  });
});

describe("endpoint handlers and a store that cannot answer", () => {
  it("answer 503 for StoreUnavailable and let other failures reject", async () => {
    const { StoreUnavailable, obtainAuthToken, MemoryTokenStore } = await import("../../src/index.js");
    const users = {
      findByUsername: async () => {
        throw new StoreUnavailable("users", { cause: new Error("ECONNREFUSED") });
      },
      findById: async () => null,
      setPasswordHash: async () => undefined,
    };
    const login = obtainAuthToken({ users, tokens: new MemoryTokenStore() });
    const request = () =>
      new Request("http://testserver/api-token-auth/", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "ada", password: "x" }),
      });
    const response = await login(request());
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toEqual({
      detail: "Service temporarily unavailable, try again later.",
      code: "service_unavailable",
    });
    users.findByUsername = async () => {
      throw new Error("a bug");
    };
    await expect(login(request())).rejects.toThrow("a bug");
  });
});
