import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenDigest } from "../../src/adapter-kit.js";
import { obtainAuthToken } from "../../src/endpoints/index.js";
import { type AuthEventMap, authenticate, type TokenStore } from "../../src/index.js";
import { passwords, postJson, read, setup, withToken } from "./setup.js";

const CREDENTIALS = { username: "ada", password: "correct horse" };

afterEach(() => {
  vi.useRealTimers();
});

describe("obtainAuthToken: success", () => {
  it("answers 200 {token} with JSON, no-store and Allow", async () => {
    const { users, tokens } = await setup();
    const response = await obtainAuthToken({ users, tokens, passwords })(postJson(CREDENTIALS));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    const body = (await response.json()) as { token: string };
    expect(Object.keys(body)).toEqual(["token"]);
    expect(body.token).toMatch(/^pct_[A-Za-z0-9_-]{43}$/);
  });

  it("issues a token that TokenAuthentication accepts, stored only as its digest", async () => {
    const { users, tokens, auth, ada } = await setup();
    const { body } = await read(await obtainAuthToken({ users, tokens, passwords })(postJson(CREDENTIALS)));
    const { token } = body as { token: string };
    const result = await authenticate(withToken(token), [auth]);
    expect(result).toMatchObject({ outcome: "success", user: ada.user, scheme: "token" });
    const [record] = await tokens.listForUser(ada.id);
    expect(record).toMatchObject({
      digest: await tokenDigest(token),
      userId: ada.id,
      name: null,
      expiresAt: null,
    });
    expect(JSON.stringify(record)).not.toContain(token);
  });

  it("issues a new, distinct token per login (digest-only storage: no get_or_create)", async () => {
    const { users, tokens, auth, ada } = await setup();
    const handler = obtainAuthToken({ users, tokens, passwords });
    const first = ((await (await handler(postJson(CREDENTIALS))).json()) as { token: string }).token;
    const second = ((await (await handler(postJson(CREDENTIALS))).json()) as { token: string }).token;
    expect(first).not.toBe(second);
    expect(await tokens.listForUser(ada.id)).toHaveLength(2);
    for (const token of [first, second]) {
      expect((await authenticate(withToken(token), [auth])).outcome).toBe("success");
    }
  });

  it("gives tokens the configured ttl", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-11-28T04:32:00Z"));
    const { users, tokens, ada } = await setup();
    await obtainAuthToken({ users, tokens, passwords, ttl: "10h" })(postJson(CREDENTIALS));
    const [record] = await tokens.listForUser(ada.id);
    expect(record?.expiresAt?.toISOString()).toBe("2026-11-28T14:32:00.000Z");
  });

  it("validates its options at once", () => {
    const tokens = {} as TokenStore;
    // @ts-expect-error users is required
    expect(() => obtainAuthToken({ tokens })).toThrow(TypeError);
    expect(() => obtainAuthToken({ users: {} as never, tokens, ttl: "5 minutes" as never })).toThrow(
      RangeError,
    );
  });

  it("does not mutate the options object", async () => {
    const { users, tokens } = await setup();
    const options = Object.freeze({ users, tokens, passwords, ttl: "1h" as const });
    expect((await obtainAuthToken(options)(postJson(CREDENTIALS))).status).toBe(200);
  });
});

describe("obtainAuthToken: events", () => {
  it("emits tokenIssued then loginSucceeded with via", async () => {
    const { users, tokens, events, ada } = await setup();
    const seen: string[] = [];
    const succeeded = vi.fn((payload: AuthEventMap["loginSucceeded"]) => seen.push(`login ${payload.via}`));
    events.on("tokenIssued", ({ record }) => seen.push(`issued ${record.userId}`));
    events.on("loginSucceeded", succeeded);
    await obtainAuthToken({ users, tokens, passwords, events })(postJson(CREDENTIALS));
    expect(seen).toEqual([`issued ${ada.id}`, "login obtainAuthToken"]);
    expect(succeeded.mock.calls[0]?.[0].record).toMatchObject({ id: ada.id, username: "ada" });
  });

  it("emits loginFailed with the username and never the password", async () => {
    const { users, tokens, events } = await setup();
    const failed = vi.fn();
    const succeeded = vi.fn();
    events.on("loginFailed", failed);
    events.on("loginSucceeded", succeeded);
    events.on("tokenIssued", succeeded);
    const handler = obtainAuthToken({ users, tokens, passwords, events });
    await handler(postJson({ username: " ada ", password: "s3cret-wrong" }));
    await handler(postJson({ username: "eve", password: "correct horse" }));
    expect(failed.mock.calls.map(([payload]) => payload)).toEqual([
      { username: "ada", via: "obtainAuthToken" },
      { username: "eve", via: "obtainAuthToken" },
    ]);
    expect(JSON.stringify(failed.mock.calls)).not.toMatch(/s3cret|correct horse/);
    expect(succeeded).not.toHaveBeenCalled();
  });

  it("emits nothing for a body that never reached the credential check", async () => {
    const { users, tokens, events } = await setup();
    const any = vi.fn();
    events.on("loginFailed", any);
    events.on("loginSucceeded", any);
    await obtainAuthToken({ users, tokens, passwords, events })(postJson({ username: "ada" }));
    expect(any).not.toHaveBeenCalled();
  });
});

describe("obtainAuthToken: failures are not client errors", () => {
  it("rejects when the user store throws", async () => {
    const { users, tokens } = await setup();
    const outage = new Error("database is down");
    vi.spyOn(users, "findByUsername").mockRejectedValue(outage);
    await expect(obtainAuthToken({ users, tokens, passwords })(postJson(CREDENTIALS))).rejects.toBe(outage);
  });

  it("rejects when the token store throws", async () => {
    const { users, tokens } = await setup();
    const outage = new Error("database is down");
    vi.spyOn(tokens, "save").mockRejectedValue(outage);
    await expect(obtainAuthToken({ users, tokens, passwords })(postJson(CREDENTIALS))).rejects.toBe(outage);
  });

  it("rejects when the request stream fails", async () => {
    const { users, tokens } = await setup();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("client went away"));
      },
    });
    const request = new Request("https://api.example.com/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    await expect(obtainAuthToken({ users, tokens, passwords })(request)).rejects.toThrow("client went away");
  });
});
