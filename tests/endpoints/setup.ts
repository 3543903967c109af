import {
  AuthEvents,
  hashPassword,
  MemoryTokenStore,
  MemoryUserStore,
  TokenAuthentication,
} from "../../src/index.js";

/** Cheap hashing for tests: the handlers verify and dummy-hash with the same parameters as the seeds. */
export const passwords = { iterations: 1000 };

export const URL_BASE = "https://api.example.com/auth/";

/** Users ada and bob (active) and eve (inactive), all with the password "correct horse". */
export async function setup() {
  const users = new MemoryUserStore();
  const tokens = new MemoryTokenStore();
  const hash = () => hashPassword("correct horse", passwords);
  const ada = await users.create({ username: "ada", passwordHash: await hash() });
  const bob = await users.create({ username: "bob", passwordHash: await hash() });
  const eve = await users.create({ username: "eve", passwordHash: await hash(), isActive: false });
  const events = new AuthEvents();
  const auth = new TokenAuthentication({ tokens, users });
  return { users, tokens, events, auth, ada, bob, eve };
}

/** A POST with a JSON body (serialised unless already a string). */
export function postJson(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(URL_BASE, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A POST with no body at all. */
export function postEmpty(headers: Record<string, string> = {}): Request {
  return new Request(URL_BASE, { method: "POST", headers });
}

/** A POST carrying `Authorization: Token <token>` (and no body). */
export function withToken(token: string, method = "POST"): Request {
  return new Request(URL_BASE, { method, headers: { Authorization: `Token ${token}` } });
}

/** Status, headers of interest, and the body as text and JSON. */
export async function read(response: Response) {
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("Content-Type"),
    allow: response.headers.get("Allow"),
    text,
    body: text === "" ? undefined : (JSON.parse(text) as unknown),
  };
}
