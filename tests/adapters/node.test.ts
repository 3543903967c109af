import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendAuthError, toAuthRequest } from "../../src/adapters/node.js";
import { type AuthRequest, authenticate, guard } from "../../src/index.js";
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
