import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guard } from "../../src/adapter-kit.js";
import { sendAuthError, toAuthRequest, toFetchRequest } from "../../src/adapters/node.js";
import { type AuthRequest, authenticate } from "../../src/index.js";
import { type Listening, listen } from "./listen.js";
import {
  ADA,
  BAD_BASIC,
  GOOD_BASIC,
  INVALID_BASIC,
  NOT_AUTHENTICATED,
  read,
  refusal,
  SERVER_ERROR,
  UNAVAILABLE,
} from "./suite.js";
import { rawRequest } from "./wire.js";
import { type World, world } from "./world.js";

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function describeView(view: AuthRequest) {
  return {
    method: view.method,
    url: view.url,
    authorization: view.headers.get("AUTHORIZATION"),
    custom: view.headers.get("x-Custom"),
    missing: view.headers.get("X-Missing"),
  };
}

let w: World;
let running: Listening;
/** What each call of sendAuthError returned, in order. */
const sent: boolean[] = [];

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const view = toAuthRequest(req);
  const path = new URL(view.url).pathname;
  if (path === "/view/") {
    // Everything the view offers is read before the body: the stream must still be unread.
    const seen = describeView(view);
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ ...seen, body: await bodyOf(req) }));
    return;
  }
  if (path === "/me/") {
    const result = await authenticate(view, [w.schemes.basic, w.schemes.token]);
    const answered = sendAuthError(res, result);
    sent.push(answered);
    if (answered) return;
    res.end(JSON.stringify({ user: result.outcome === "success" ? result.user : "unexpected" }));
    return;
  }
  if (path === "/ping/") {
    const result = await authenticate(view, [w.schemes.session, w.schemes.basic]);
    sent.push(sendAuthError(res, result));
    if (!res.headersSent) res.end("pong");
    return;
  }
  if (path === "/guarded/") {
    const schemes = { boom: [w.schemes.boom], down: [w.schemes.down] }[view.headers.get("x-scheme") ?? ""];
    const outcome = await guard(view, { schemes: schemes ?? [w.schemes.basic] });
    if (!outcome.ok) {
      sent.push(sendAuthError(res, outcome));
      return;
    }
    res.end(JSON.stringify({ user: outcome.user }));
    return;
  }
  res.statusCode = 404;
  res.end();
}

beforeAll(async () => {
  w = await world();
  running = await listen(
    createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    }),
  );
});
afterAll(() => running.close());

describe("portcullis/node: toAuthRequest", () => {
  it("gives the method, an absolute URL, case-insensitive headers, and leaves the body unread", async () => {
    const response = await running.fetch("/view/?q=1", {
      method: "POST",
      headers: { Authorization: "Token abc", "X-Custom": "yes", "Content-Type": "text/plain" },
      body: "the body, still there",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      method: "POST",
      url: `${running.origin}/view/?q=1`,
      authorization: "Token abc",
      custom: "yes",
      missing: null,
      body: "the body, still there",
    });
  });

  it("is a view over req.headers, not a copy, and builds the URL when read", () => {
    const req = {
      method: "PATCH",
      url: "/a",
      headers: { host: "example.com" },
      socket: {},
    } as IncomingMessage;
    const view = toAuthRequest(req);
    expect(view.headers.get("authorization")).toBeNull();
    req.headers.authorization = "Basic x";
    req.headers["x-list"] = ["a", "b"] as unknown as string;
    expect(view.headers.get("Authorization")).toBe("Basic x");
    expect(view.headers.get("X-List")).toBe("a, b");
    req.url = "/b?c=d";
    expect(view.url).toBe("http://example.com/b?c=d");
    expect(view.method).toBe("PATCH");
  });

  it("says https on a TLS socket, and falls back to localhost without a Host", () => {
    const tls = {
      method: "GET",
      url: "/x",
      headers: { host: "api.example.com" },
      socket: { encrypted: true },
    };
    expect(toAuthRequest(tls as unknown as IncomingMessage).url).toBe("https://api.example.com/x");
    const bare = { url: "/y", headers: {}, socket: {} };
    const view = toAuthRequest(bare as unknown as IncomingMessage);
    expect(view.url).toBe("http://localhost/y");
    expect(view.method).toBe("GET");
  });
});

describe("portcullis/node: toAuthRequest reads headers as a Fetch Headers does", () => {
  const fake = (headers: Record<string, string>, rawHeaders?: string[]) =>
    toAuthRequest({ method: "GET", url: "/", headers, rawHeaders, socket: {} } as unknown as IncomingMessage);

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])(
    "answers null for %s (no header, whatever Object.prototype holds)",
    (name) => {
      expect(fake({ host: "h" }, ["Host", "h"]).headers.get(name)).toBeNull();
    },
  );

  it("joins every copy of a header Node keeps once, case-insensitively, in the order sent", () => {
    const view = fake({ authorization: "Basic a", "user-agent": "x" }, [
      "AUTHORIZATION",
      "Basic a",
      "User-Agent",
      "x",
      "authorization",
      "Token b",
      "Authorization",
      "Bearer c",
    ]);
    expect(view.headers.get("Authorization")).toBe("Basic a, Token b, Bearer c");
    expect(view.headers.get("user-agent")).toBe("x");
  });

  it("keeps what an app wrote over req.headers, and answers without rawHeaders", () => {
    const rewritten = fake({ authorization: "Token mine" }, [
      "Authorization",
      "Basic a",
      "Authorization",
      "Basic b",
    ]);
    expect(rewritten.headers.get("authorization")).toBe("Token mine");
    expect(fake({ authorization: "Basic a" }).headers.get("authorization")).toBe("Basic a");
  });

  it("reads two Authorization lines on the wire as both, joined (the raw request line kept)", async () => {
    const port = Number(new URL(running.origin).port);
    const response = await rawRequest(port, [
      "GET /view/?q=1 HTTP/1.1",
      "Host: api.example",
      "Authorization: Token one",
      "authorization: Token two",
      "X-Custom: a",
      "X-Custom: b",
    ]);
    expect(await response.json()).toEqual({
      method: "GET",
      url: "http://api.example/view/?q=1",
      authorization: "Token one, Token two",
      custom: "a, b",
      missing: null,
      body: "",
    });
  });
});

describe("portcullis/node: toAuthRequest's url", () => {
  it("is the target itself for an absolute-form request line (RFC 9112 §3.2.2), as new URL(req.url, base)", async () => {
    const port = Number(new URL(running.origin).port);
    const response = await rawRequest(port, ["GET http://other.example/view/?p=1 HTTP/1.1", "Host: h"]);
    const { url } = (await response.json()) as { url: string };
    expect(url).toBe("http://other.example/view/?p=1");
    expect(url).toBe(new URL("http://other.example/view/?p=1", "http://h").href);
  });

  it("puts an asterisk-form target under the origin, and takes HTTP/2's :authority and :scheme", () => {
    const star = { method: "OPTIONS", url: "*", headers: { host: "h" }, socket: {} };
    expect(toAuthRequest(star as unknown as IncomingMessage).url).toBe("http://h/*");
    const h2 = {
      method: "GET",
      url: "/p?q",
      headers: { ":authority": "h2.example:8443", ":scheme": "https", ":path": "/p?q", ":method": "GET" },
      socket: {},
    };
    expect(toAuthRequest(h2 as unknown as IncomingMessage).url).toBe("https://h2.example:8443/p?q");
  });

  it("is the caller's URL when given, a string or a function called once, on first read", () => {
    const req = { method: "GET", url: "/rewritten", headers: { host: "h" }, socket: {} } as IncomingMessage;
    expect(toAuthRequest(req, { url: "https://api.example/original" }).url).toBe(
      "https://api.example/original",
    );
    let calls = 0;
    const view = toAuthRequest(req, {
      url: () => {
        calls++;
        return "https://api.example/mounted/rewritten";
      },
    });
    expect(calls).toBe(0);
    expect(view.url).toBe("https://api.example/mounted/rewritten");
    expect(view.url).toBe("https://api.example/mounted/rewritten");
    expect(calls).toBe(1);
    expect(toAuthRequest(req).url).toBe("http://h/rewritten");
  });
});

describe("portcullis/node: sendAuthError", () => {
  it("writes nothing and returns false on success", async () => {
    const before = sent.length;
    const response = await running.fetch("/me/", { headers: { Authorization: GOOD_BASIC } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: ADA });
    const token = await running.fetch("/me/", { headers: { Authorization: `Token ${w.key}` } });
    expect(await token.json()).toEqual({ user: ADA });
    expect(sent.slice(before)).toEqual([false, false]);
  });

  it("writes a 401 with the challenge and DRF's body, and returns true", async () => {
    const before = sent.length;
    expect(await read(await running.fetch("/me/"))).toEqual(
      refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
    );
    expect(await read(await running.fetch("/me/", { headers: { Authorization: BAD_BASIC } }))).toEqual(
      refusal(401, INVALID_BASIC, 'Basic realm="api"'),
    );
    expect(sent.slice(before)).toEqual([true, true]);
  });

  it("writes a 403 without a challenge when the first scheme has none", async () => {
    const before = sent.length;
    expect(await read(await running.fetch("/ping/", { method: "POST" }))).toEqual(
      refusal(403, NOT_AUTHENTICATED),
    );
    expect(sent.slice(before)).toEqual([true]);
  });

  it("writes guard's deny outcomes too: 401, 500, 503 with Retry-After", async () => {
    expect(await read(await running.fetch("/guarded/"))).toEqual(
      refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
    );
    expect(await read(await running.fetch("/guarded/", { headers: { "X-Scheme": "boom" } }))).toEqual(
      refusal(500, SERVER_ERROR),
    );
    const down = await running.fetch("/guarded/", {
      headers: { "X-Scheme": "down", Authorization: `Token ${w.key}` },
    });
    expect(await read(down)).toEqual({ ...refusal(503, UNAVAILABLE), retryAfter: "5" });
    const ok = await running.fetch("/guarded/", { headers: { Authorization: GOOD_BASIC } });
    expect(await ok.json()).toEqual({ user: ADA });
  });
});

describe("portcullis/node: toFetchRequest replays what a body parser left", () => {
  // A request whose stream a parser has read to its end.
  const consumed = (type: string) =>
    ({
      method: "POST",
      url: "/login/",
      headers: { host: "api.test", "content-type": type, "content-length": "999" },
      readable: false,
      readableEnded: true,
    }) as unknown as IncomingMessage;

  it("a form: a repeated field once per value, a nested one by its bracketed name, numbers and empties as text", async () => {
    const parsed = {
      username: ["nobody", "ada"],
      user: { name: "ada", tags: ["a", "b"] },
      n: 7,
      empty: null,
    };
    const request = toFetchRequest(consumed("application/x-www-form-urlencoded"), parsed);
    expect(request.url).toBe("http://api.test/login/");
    expect(request.headers.get("content-length")).toBeNull();
    expect(await request.text()).toBe(
      "username=nobody&username=ada&user%5Bname%5D=ada&user%5Btags%5D=a&user%5Btags%5D=b&n=7&empty=",
    );
  });

  it("a form nested past 32 levels (a parser's cycle) gives the value as text there, not a hang", async () => {
    const cycle: Record<string, unknown> = { name: "ada" };
    cycle.self = cycle;
    const text = await toFetchRequest(consumed("application/x-www-form-urlencoded"), cycle).text();
    const fields = [...new URLSearchParams(text)];
    expect(fields).toHaveLength(34); // "name", then self[name] at each of 32 levels, then the cut
    expect(fields[0]).toEqual(["name", "ada"]);
    expect(fields.at(-1)).toEqual([`self${"[self]".repeat(32)}`, "[object Object]"]);
  });

  it("JSON as JSON, a string or bytes as they are", async () => {
    const json = toFetchRequest(consumed("application/json"), { username: ["a", "b"] });
    expect(await json.text()).toBe('{"username":["a","b"]}');
    expect(await toFetchRequest(consumed("text/plain"), "as is").text()).toBe("as is");
    expect(await toFetchRequest(consumed("application/octet-stream"), Buffer.from("bytes")).text()).toBe(
      "bytes",
    );
  });
});
