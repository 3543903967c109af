/**
 * Every code sample of README.md and docs/*.md compiles against the sources, and the server samples
 * answer real requests, a failing scheme included (a sample whose rejection goes unhandled would end
 * the process). The schemes the docs write out are held to `checkSchemeContract`.
 */
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthRequest,
  type BaseAuthentication,
  BasicAuthentication,
  hashPassword,
  MemoryUserStore,
  StoreUnavailable,
} from "../../src/index.js";
import { basicAuthHeader, checkSchemeContract } from "../../src/testing/index.js";
import { capturingListen, origin, runSample } from "./run-sample.js";
import { type Sample, samples, typeCheck } from "./samples.js";

const ALL = samples();
const find = (file: string, marker: string): Sample => {
  const found = ALL.filter((sample) => sample.file === file && sample.code.includes(marker));
  expect(found, `one sample of ${file} holding ${marker}`).toHaveLength(1);
  return found[0]!;
};

describe("the docs' code samples type-check against the sources", () => {
  let diagnostics: Map<string, string[]>;
  beforeAll(() => {
    diagnostics = typeCheck(ALL);
  }, 180_000);

  it("finds the samples of README.md and every docs page", () => {
    expect(ALL.length).toBeGreaterThan(40);
    expect(new Set(ALL.map((sample) => sample.file))).toContain("README.md");
    expect(new Set(ALL.map((sample) => sample.file))).toContain("docs/adapters.md");
  });

  it.each(ALL.map((sample) => [sample.id, sample] as const))("%s", (id) => {
    expect(diagnostics.get(id) ?? []).toEqual([]);
  });
});

/** ada / "correct horse", cheaply hashed. */
async function adaBasic(): Promise<BasicAuthentication<{ id: string; username: string }>> {
  const users = new MemoryUserStore();
  const passwords = { iterations: 1000 };
  await users.create({ username: "ada", passwordHash: await hashPassword("correct horse", passwords) });
  return new BasicAuthentication({ users, passwords });
}

const ADA = basicAuthHeader("ada", "correct horse");

/** A scheme whose store is down, and one with a bug. */
const down: BaseAuthentication = {
  name: "down",
  authenticate: async () => {
    throw new StoreUnavailable("users", { cause: new Error("connect ECONNREFUSED db.internal:5432") });
  },
};
const broken: BaseAuthentication = {
  name: "broken",
  authenticate: async () => {
    throw new Error("a bug");
  },
};

describe("the server samples answer requests, and survive a scheme that fails", () => {
  const servers: Server[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => void rejections.push(reason);
  beforeAll(() => {
    process.on("unhandledRejection", onRejection);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onRejection);
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("docs/adapters.md, node:http: 401, 200, then 500 and 503 as JSON, the process still up", async () => {
    const sample = find("docs/adapters.md", 'from "portcullis/node"');
    const basic = await adaBasic();
    const globals = { schemes: [basic] as BaseAuthentication[] };
    const log: unknown[] = [];
    const error = console.error;
    console.error = (...data: unknown[]) => void log.push(data);
    try {
      const [server] = await capturingListen(() => runSample(sample, globals));
      servers.push(server as Server);
      const url = `${origin(server!)}/`;
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="api"');
      expect(await anonymous.json()).toEqual({
        detail: "Authentication credentials were not provided.",
        code: "not_authenticated",
      });
      const ada = await fetch(url, { headers: { Authorization: ADA } });
      expect(ada.status).toBe(200);
      expect(await ada.json()).toEqual({ id: "1", username: "ada" });

      globals.schemes.splice(0, 1, broken);
      const bug = await fetch(url);
      expect(bug.status).toBe(500);
      expect(await bug.json()).toEqual({ detail: "A server error occurred.", code: "error" });
      globals.schemes.splice(0, 1, down);
      const outage = await fetch(url);
      expect(outage.status).toBe(503);
      expect(outage.headers.get("retry-after")).toBe("5");
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rejections).toEqual([]);
      expect(log).toHaveLength(2);
      // Still serving.
      globals.schemes.splice(0, 1, basic);
      expect((await fetch(url, { headers: { Authorization: ADA } })).status).toBe(200);
    } finally {
      console.error = error;
    }
  });

  it("README.md, the Fetch handler: 401, 200, and 500 for a broken scheme", async () => {
    const sample = find("README.md", "export default async function handler");
    const module = await runSample(sample);
    const handler = module.default as (request: Request) => Promise<Response>;
    const anonymous = await handler(new Request("http://localhost/"));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="api"');
    const ada = await handler(new Request("http://localhost/", { headers: { Authorization: ADA } }));
    expect(ada.status).toBe(200);
    expect(await ada.json()).toEqual({ hello: { id: "1", username: "ada" } });
    const wrong = await handler(
      new Request("http://localhost/", { headers: { Authorization: basicAuthHeader("ada", "wrong") } }),
    );
    expect(await wrong.json()).toEqual({
      detail: "Invalid username/password.",
      code: "authentication_failed",
    });
  });
});

describe("every scheme the docs write out keeps DRF's contract (checkSchemeContract)", () => {
  const shown = ALL.filter((sample) => /class \w+ implements BaseAuthentication/.test(sample.code));

  it("finds them", () => {
    expect(shown.map((sample) => sample.id)).toEqual([expect.stringMatching(/^docs\/getting-started\.md:/)]);
  });

  it.each(shown.map((sample) => [sample.id, sample] as const))("%s", async (_, sample) => {
    const keys = new Map([["k-123", { id: "1", username: "ada" }]]);
    const module = await runSample(sample, {
      findUserByApiKey: async (key: string) => keys.get(key) ?? null,
    });
    const classes = Object.values(module).filter((value) => typeof value === "function") as Array<
      new () => BaseAuthentication<unknown, unknown>
    >;
    expect(classes.length).toBeGreaterThan(0);
    for (const Scheme of classes) {
      // The header it reads, from its own code: its keyword-less header, or Authorization's keyword.
      const header = /headers\.get\("([^"]+)"\)/.exec(sample.code)?.[1]?.toLowerCase() ?? "authorization";
      const scheme = new Scheme();
      await checkSchemeContract(scheme, { headerName: header, runs: 100 });
      const request = (value: string): AuthRequest => ({
        method: "GET",
        url: "/",
        headers: { get: (name) => (name.toLowerCase() === header ? value : null) },
      });
      expect(await scheme.authenticate(request("k-123"))).toEqual({
        user: { id: "1", username: "ada" },
        auth: null,
      });
    }
  });
});
