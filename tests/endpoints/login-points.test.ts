/**
 * Every endpoint that takes a username and password (issue 17, items 6 and 15): DRF's token login, knox's
 * login, simplejwt's obtain views and the session login refuse NUL before any store is asked, and answer
 * an inactive user as a wrong password, byte for byte and at the same hashing cost.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { obtainAuthToken, sessionHandlers, tokenLogin } from "../../src/endpoints/index.js";
import {
  createJWTHandlers,
  type EndpointHandler,
  hashPassword,
  JWTService,
  MemorySessionStore,
  MemoryTokenStore,
  MemoryUserStore,
  SessionManager,
  type UserStore,
} from "../../src/index.js";
import { KyselyUserStore, migrateToLatest } from "../../src/stores/kysely/index.js";
import { type PostgresSchema, postgresSchema, postgresSkipReason } from "../stores/kysely/databases.js";
import { passwords } from "./setup.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
/** A 32-character CSRF secret sent unmasked in both the cookie and the header, as Django accepts. */
const CSRF = "abcdefghijklmnopqrstuvwxyzABCDEF";

afterEach(() => vi.restoreAllMocks());

/** The five login points over one user store, each with the request its login takes. */
function loginPoints(
  users: UserStore<unknown>,
): Array<[string, EndpointHandler, (body: unknown) => Request]> {
  const tokens = new MemoryTokenStore();
  const jwt = new JWTService({ signingKey: SECRET, users });
  const api = createJWTHandlers(jwt, { passwords });
  const sessions = new SessionManager({ store: new MemorySessionStore(), users, secure: false });
  const json =
    (url: string, headers: Record<string, string> = {}) =>
    (body: unknown) =>
      new Request(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
  return [
    [
      "obtainAuthToken",
      obtainAuthToken({ users, tokens, passwords }),
      json("http://testserver/api-token-auth/"),
    ],
    ["tokenLogin", tokenLogin({ users, tokens, passwords }), json("http://testserver/api/auth/login/")],
    ["obtainPair", api.obtainPair, json("http://testserver/api/token/")],
    ["obtainSliding", api.obtainSliding, json("http://testserver/api/token/sliding/")],
    [
      "sessionLogin",
      sessionHandlers({ sessions, passwords }).login,
      json("http://testserver/api/session/login/", { Cookie: `csrftoken=${CSRF}`, "X-CSRFToken": CSRF }),
    ],
  ];
}

/** Users ada (active) and eve (inactive), both with the password "correct horse". */
async function memoryUsers() {
  const users = new MemoryUserStore();
  const hash = () => hashPassword("correct horse", passwords);
  await users.create({ username: "ada", passwordHash: await hash() });
  await users.create({ username: "eve", passwordHash: await hash(), isActive: false });
  return users;
}

/** The answer byte for byte (headers in order, body text), and the PBKDF2 iteration counts it ran. */
async function answer(handler: EndpointHandler, request: Request) {
  const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
  deriveBits.mockClear();
  const response = await handler(request);
  return {
    status: response.status,
    headers: headerList(response),
    body: await response.text(),
    hashes: deriveBits.mock.calls.map(([params]) => (params as Pbkdf2Params).iterations),
  };
}

const NULS: Array<[string, Record<string, string>, string]> = [
  ["a NUL ending the password", { username: "ada", password: "correct horse\u0000" }, "password"],
  ["a NUL inside the password", { username: "ada", password: "correct\u0000horse" }, "password"],
  ["a NUL ending the username", { username: "ada\u0000", password: "correct horse" }, "username"],
  ["a NUL opening the username", { username: "\u0000ada", password: "correct horse" }, "username"],
];

describe.each(loginPoints(new MemoryUserStore()).map(([name]) => [name]))("%s", (name) => {
  async function point() {
    const users = await memoryUsers();
    const found = loginPoints(users).find(([n]) => n === name)!;
    return { users, handler: found[1], request: found[2] };
  }

  it("logs ada in, so the refusals below are the checks' doing", async () => {
    const { handler, request } = await point();
    expect((await handler(request({ username: "ada", password: "correct horse" }))).status).toBe(200);
  });

  it.each(NULS)(
    "refuses %s with DRF's 400 before the store is asked or a hash runs",
    async (_case, body, field) => {
      const { users, handler, request } = await point();
      const findByUsername = vi.spyOn(users, "findByUsername");
      const result = await answer(handler, request(body));
      expect(result.status).toBe(400);
      expect(result.body).toBe(JSON.stringify({ [field]: ["Null characters are not allowed."] }));
      expect(result.hashes).toEqual([]);
      expect(findByUsername).not.toHaveBeenCalled();
    },
  );

  it("refuses NUL in both fields, reporting each", async () => {
    const { handler, request } = await point();
    const result = await answer(handler, request({ username: "ada\u0000", password: "x\u0000" }));
    expect(result.body).toBe(
      '{"username":["Null characters are not allowed."],"password":["Null characters are not allowed."]}',
    );
  });

  it("answers an inactive user's right password as its wrong one and an unknown user, one hash each", async () => {
    const { users, handler, request } = await point();
    const setPasswordHash = vi.spyOn(users, "setPasswordHash");
    const right = await answer(handler, request({ username: "eve", password: "correct horse" }));
    expect(right.status).toBe(name === "obtainPair" || name === "obtainSliding" ? 401 : 400);
    expect(right.hashes).toEqual([1000]);
    expect(await answer(handler, request({ username: "eve", password: "wrong horse" }))).toEqual(right);
    expect(await answer(handler, request({ username: "nobody", password: "correct horse" }))).toEqual(right);
    expect(await answer(handler, request({ username: "ada", password: "wrong horse" }))).toEqual(right);
    expect(setPasswordHash).not.toHaveBeenCalled();
  });

  it("gives an inactive user's right password a wrong one's cost when the stored hash is weaker", async () => {
    const { users, handler, request } = await point();
    const eve = (await users.findByUsername("eve"))!;
    await users.setPasswordHash(eve.id, await hashPassword("correct horse", { iterations: 500 }));
    const setPasswordHash = vi.spyOn(users, "setPasswordHash");
    const right = await answer(handler, request({ username: "eve", password: "correct horse" }));
    // Verified at the stored 500, then padded to the configured 1000 (Django's harden_runtime); no upgrade.
    expect(right.hashes).toEqual([500, 500]);
    expect(await answer(handler, request({ username: "eve", password: "wrong horse" }))).toEqual(right);
    expect(setPasswordHash).not.toHaveBeenCalled();
  });
});

const pgSkip = await postgresSkipReason();

describe.skipIf(pgSkip !== null)(
  `every login point over a KyselyUserStore on PostgreSQL${pgSkip === null ? "" : ` (skipped: ${pgSkip})`}`,
  () => {
    let schema: PostgresSchema;
    let users: KyselyUserStore;
    beforeAll(async () => {
      schema = await postgresSchema(2);
      await migrateToLatest(schema.db);
      users = new KyselyUserStore({ db: schema.db });
      await users.create({ username: "demo", passwordHash: await hashPassword("demo", passwords) });
    });
    afterAll(async () => {
      await schema?.drop();
    });

    it("answers `demo\\0` with a 400 field error at each, never a rejected promise (PostgreSQL refuses NUL)", async () => {
      await expect(users.findByUsername("demo\u0000")).rejects.toThrow();
      for (const [name, handler, request] of loginPoints(users)) {
        const response = await handler(request({ username: "demo\u0000", password: "demo" }));
        expect([name, response.status, await response.json()]).toEqual([
          name,
          400,
          { username: ["Null characters are not allowed."] },
        ]);
        const good = await handler(request({ username: "demo", password: "demo" }));
        expect([name, good.status]).toEqual([name, 200]);
      }
    });
  },
);

/** Every header of a response as [name, value] pairs, in order. */
function headerList(response: Response): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  response.headers.forEach((value, name) => {
    list.push([name, value]);
  });
  return list;
}
