/**
 * A header sent twice. Node keeps only the first copy of `Authorization` (and of the other headers it
 * discards duplicates of) in `req.headers`, where a Fetch `Headers` joins both with ", ": every adapter
 * must read the request as the Fetch ones do, or the same request is refused on Hono and accepted on
 * Express.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as expressAdapter from "../../src/adapters/express.js";
import * as fastifyAdapter from "../../src/adapters/fastify.js";
import * as fetchAdapter from "../../src/adapters/fetch.js";
import * as honoAdapter from "../../src/adapters/hono.js";
import * as koaAdapter from "../../src/adapters/koa.js";
import { sendAuthError, toAuthRequest } from "../../src/adapters/node.js";
import { authenticate } from "../../src/index.js";
import { ADA, BAD_BASIC, GOOD_BASIC, read, refusal } from "./suite.js";
import { rawRequest } from "./wire.js";
import { type World, world } from "./world.js";

const SPACES = {
  detail: "Invalid basic header. Credentials string should not contain spaces.",
  code: "authentication_failed",
};
const ORDERS = [
  ["the good copy first", [GOOD_BASIC, BAD_BASIC]],
  ["the bad copy first", [BAD_BASIC, GOOD_BASIC]],
] as const;

let w: World;
const servers = new Map<string, { port: number; close(): Promise<void> }>();

async function serve(name: string, server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  servers.set(name, {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

beforeAll(async () => {
  w = await world();
  const schemes = [w.schemes.basic];
  const app = express();
  app.get("/me/", expressAdapter.auth({ schemes }), (req, res) => res.json({ user: req.user }));
  await serve("express", createServer(app));

  const fastify = Fastify();
  await fastify.register(fastifyAdapter.plugin);
  fastify.get("/me/", { preHandler: fastifyAdapter.auth({ schemes }) }, async (request) => ({
    user: (request as fastifyAdapter.AuthenticatedRequest<unknown>).user,
  }));
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  servers.set("fastify", {
    port: (fastify.server.address() as AddressInfo).port,
    close: () => fastify.close(),
  });

  const koa = new Koa().use(koaAdapter.auth({ schemes })).use((ctx) => {
    ctx.body = { user: ctx.state.user };
  });
  await serve("koa", createServer(koa.callback()));

  await serve(
    "node",
    createServer(async (req: IncomingMessage, res) => {
      const result = await authenticate(toAuthRequest(req), schemes);
      if (sendAuthError(res, result)) return;
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ user: result.outcome === "success" ? result.user : null }));
    }),
  );
});
afterAll(async () => {
  for (const server of servers.values()) await server.close();
});

const twice = (pair: readonly string[]) => pair.map((value) => `Authorization: ${value}`);

describe("a repeated Authorization header is refused by every adapter, as Fetch refuses it", () => {
  it.each(ORDERS)("Fetch (withAuth) and Hono join both copies and refuse (%s)", async (_, pair) => {
    const headers = new Headers();
    for (const value of pair) headers.append("Authorization", value);
    const handler = fetchAdapter.withAuth((_request, { user }) => Response.json({ user }), {
      schemes: [w.schemes.basic],
    });
    expect(await read(await handler(new Request("http://localhost/me/", { headers })))).toEqual(
      refusal(401, SPACES, 'Basic realm="api"'),
    );
    const hono = new Hono().get("/me/", honoAdapter.auth({ schemes: [w.schemes.basic] }), (c) =>
      c.json({ user: c.get("user") }),
    );
    expect(await read(await hono.request("/me/", { headers }))).toEqual(
      refusal(401, SPACES, 'Basic realm="api"'),
    );
  });

  describe.each(["express", "fastify", "koa", "node"])("%s over a raw socket", (name) => {
    it.each(ORDERS)("answers 401 with %s", async (_, pair) => {
      const { port } = servers.get(name)!;
      const response = await rawRequest(port, ["GET /me/ HTTP/1.1", "Host: 127.0.0.1", ...twice(pair)]);
      expect(await read(response)).toEqual(refusal(401, SPACES, 'Basic realm="api"'));
    });

    it("still answers one copy as before (200 for the good one, 401 for the bad one)", async () => {
      const { port } = servers.get(name)!;
      const ok = await rawRequest(port, [
        "GET /me/ HTTP/1.1",
        "Host: 127.0.0.1",
        `Authorization: ${GOOD_BASIC}`,
      ]);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ user: ADA });
      const bad = await rawRequest(port, [
        "GET /me/ HTTP/1.1",
        "host: 127.0.0.1",
        `authorization: ${BAD_BASIC}`,
      ]);
      expect(await read(bad)).toEqual(
        refusal(
          401,
          { detail: "Invalid username/password.", code: "authentication_failed" },
          'Basic realm="api"',
        ),
      );
    });
  });
});
