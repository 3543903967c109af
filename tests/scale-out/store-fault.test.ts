/**
 * Store faults (issue 7): two server processes reach Redis and PostgreSQL through local TCP proxies. During
 * traffic the test cuts one proxy (open connections destroyed, new ones refused): every request that needs
 * that store answers DRF's 503 at once (never 200, never anonymous), requests that do not need it go on
 * answering 200, and normal answers resume once the proxy listens again, with nothing restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxy, type Proxy as TcpProxy } from "../stores/kysely/proxy.js";
import {
  type Answer,
  call,
  cookieHeader,
  createWorld,
  logs,
  PG_URL,
  REDIS_URL,
  SERVICE_UNAVAILABLE,
  type ServerProcess,
  sessionLogin,
  skipReason,
  type World,
} from "./cluster.js";
import { USER } from "./env.js";

const skip = await skipReason();

/** A fail-fast answer is well under this, ms. */
const LATENCY_BOUND = 2_000;
/** How long a cut lasts, ms: longer than LATENCY_BOUND, so a request that waits out the outage fails it. */
const OUTAGE = 2_500;
/** How long the stores may take to come back once the proxy listens again, ms. */
const RECOVERY_DEADLINE = 10_000;
const WORKERS = 6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One kind of request, and whether it needs the store being cut. */
interface Probe {
  name: string;
  /** True when the request needs the cut store: 503 while it is down. */
  affected: boolean;
  send(server: ServerProcess): Promise<Answer>;
  /** The body of its normal (200) answer. */
  ok: (server: ServerProcess) => unknown;
}

interface Sample {
  probe: Probe;
  server: string;
  started: number;
  ended: number;
  answer: Answer;
}

/** What every request of an outage answered, and when the phases began (performance.now()). */
interface OutageRun {
  /** The steady traffic, before, during and after the cut. */
  samples: Sample[];
  /** The requests sent once per server while the store was down. */
  down: Sample[];
  cutAt: number;
  downAt: number;
  restoreAt: number;
  recoveredAt: number;
}

/** The URL of `service` with its host and port replaced by the proxy's. */
function through(service: string, proxy: TcpProxy): string {
  const url = new URL(service);
  url.host = `127.0.0.1:${proxy.port}`;
  return url.toString();
}

function target(service: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(service);
  return { host: url.hostname, port: Number(url.port || defaultPort) };
}

function describeSample({ probe, server, answer }: Sample): string {
  return `${probe.name} on ${server}: ${answer.status} ${JSON.stringify(answer.body)} in ${answer.ms.toFixed(0)} ms`;
}

describe.skipIf(skip !== null)(
  `a store's connection cut during traffic${skip === null ? "" : ` (skipped: ${skip})`}`,
  () => {
    let world: World | undefined;
    const proxies: Partial<Record<"pg" | "redis", TcpProxy>> = {};
    let servers: ServerProcess[];
    let token: string;
    let access: string;
    let session: string;
    let csrf: string;

    beforeAll(async () => {
      world = await createWorld();
      proxies.pg = await startProxy(target(PG_URL, 5432));
      proxies.redis = await startProxy(target(REDIS_URL, 6379));
      const urls = { pg: through(PG_URL, proxies.pg), redis: through(REDIS_URL, proxies.redis) };
      servers = await Promise.all([world.start("A", urls), world.start("B", urls)]);
      const [a, b] = servers as [ServerProcess, ServerProcess];
      token = ((await call(a.base, "/api-token-auth/", { json: USER })).body as { token: string }).token;
      access = ((await call(b.base, "/api/pg/token/", { json: USER })).body as { access: string }).access;
      const cookies = await sessionLogin(a.base);
      session = cookieHeader(cookies);
      csrf = cookies.csrftoken!;
    }, 60_000);
    afterAll(async () => {
      await Promise.allSettled(Object.values(proxies).map((proxy) => proxy.cut()));
      await world?.close();
    });

    const me = (server: ServerProcess) => ({
      id: world!.userId,
      username: USER.username,
      server: server.name,
    });
    const probes = {
      token: (affected: boolean): Probe => ({
        name: "GET /api/me/ (Token)",
        affected,
        send: (server) => call(server.base, "/api/me/", { headers: { Authorization: `Token ${token}` } }),
        ok: me,
      }),
      bearer: (affected: boolean): Probe => ({
        name: "GET /api/me/ (Bearer)",
        affected,
        send: (server) => call(server.base, "/api/me/", { headers: { Authorization: `Bearer ${access}` } }),
        ok: me,
      }),
      session: (affected: boolean): Probe => ({
        name: "GET /api/me/ (session)",
        affected,
        send: (server) => call(server.base, "/api/me/", { headers: { Cookie: session } }),
        ok: me,
      }),
      verify: (store: "pg" | "redis", affected: boolean): Probe => ({
        name: `POST /api/${store}/token/verify/`,
        affected,
        send: (server) => call(server.base, `/api/${store}/token/verify/`, { json: { token: access } }),
        ok: () => ({}),
      }),
    };

    /**
     * Runs `steady` requests from several workers over both servers, cuts `proxy`, sends each of
     * `whileDown` (once per server) during the outage, restores the proxy and waits until every probe
     * answers 200 again on both servers. Returns what every request answered and when.
     */
    async function outage(proxy: TcpProxy, steady: Probe[], whileDown: Probe[]): Promise<OutageRun> {
      const samples: Sample[] = [];
      let running = true;
      let failure: unknown;
      const worker = async (w: number): Promise<void> => {
        for (let i = w; running; i += WORKERS) {
          const probe = steady[i % steady.length]!;
          const server = servers[Math.floor(i / steady.length) % servers.length]!;
          const started = performance.now();
          const answer = await probe.send(server);
          samples.push({ probe, server: server.name, started, ended: performance.now(), answer });
        }
      };
      const workers = Array.from({ length: WORKERS }, (_, w) =>
        worker(w).catch((error: unknown) => {
          failure ??= error;
        }),
      );
      let cut = false;
      let result: OutageRun;
      try {
        await sleep(300);
        const cutAt = performance.now();
        cut = true;
        await proxy.cut();
        const downAt = performance.now();
        await sleep(100);
        const down: Sample[] = await Promise.all(
          whileDown.flatMap((probe) =>
            servers.map(async (server) => {
              const started = performance.now();
              const answer = await probe.send(server);
              return { probe, server: server.name, started, ended: performance.now(), answer };
            }),
          ),
        );
        await sleep(Math.max(0, downAt + OUTAGE - performance.now()));
        const restoreAt = performance.now();
        await proxy.restore();
        cut = false;
        const back = (probe: Probe, server: ServerProcess): boolean =>
          samples.some(
            (sample) =>
              sample.probe === probe &&
              sample.server === server.name &&
              sample.started > restoreAt &&
              sample.answer.status === 200,
          );
        while (
          !steady.every((probe) => servers.every((server) => back(probe, server))) &&
          performance.now() < restoreAt + RECOVERY_DEADLINE &&
          failure === undefined
        ) {
          await sleep(25);
        }
        const recoveredAt = performance.now();
        result = { samples, down, cutAt, downAt, restoreAt, recoveredAt };
      } finally {
        running = false;
        await Promise.all(workers);
        if (cut) await proxy.restore(); // a failure mid-outage leaves the next test a working store
      }
      if (failure !== undefined) throw failure;
      return result;
    }

    /** The checks every outage must pass. */
    function check(run: OutageRun, steady: Probe[]): void {
      const { samples, down, cutAt, downAt, restoreAt, recoveredAt } = run;
      const all = [...samples, ...down];
      // Only 200 or DRF's 503, at any moment: never anonymous (401/403), never a 500.
      expect(
        all.filter(({ answer }) => answer.status !== 200 && answer.status !== 503).map(describeSample),
        logs(servers),
      ).toEqual([]);
      for (const sample of all) {
        if (sample.answer.status === 503) {
          expect(sample.answer.body, describeSample(sample)).toEqual(SERVICE_UNAVAILABLE);
          expect(sample.answer.headers.get("retry-after")).toBe("5");
        } else {
          expect(sample.answer.body, describeSample(sample)).toEqual(
            sample.probe.ok(servers.find(({ name }) => name === sample.server)!),
          );
        }
      }
      // Bounded: fail fast while down, and nothing hangs around the cut or the return.
      expect(all.filter(({ answer }) => answer.ms >= LATENCY_BOUND).map(describeSample)).toEqual([]);

      // Before the cut, everything worked.
      expect(samples.filter((s) => s.ended < cutAt && s.answer.status !== 200).map(describeSample)).toEqual(
        [],
      );
      // While it was down: every request that needs the store 503, every other one 200.
      const during = samples.filter((s) => s.started >= downAt && s.ended <= restoreAt);
      const affected = during.filter((s) => s.probe.affected);
      expect(affected.length).toBeGreaterThanOrEqual(20);
      expect(affected.filter((s) => s.answer.status !== 503).map(describeSample)).toEqual([]);
      expect(during.filter((s) => !s.probe.affected && s.answer.status !== 200).map(describeSample)).toEqual(
        [],
      );
      for (const probe of steady) {
        expect(
          during.some((s) => s.probe === probe),
          `${probe.name} sent during the outage`,
        ).toBe(true);
      }
      expect(down.filter((s) => s.answer.status !== 503).map(describeSample)).toEqual([]);

      // Back: every probe answered 200 again on both servers within the deadline...
      expect(recoveredAt - restoreAt).toBeLessThan(RECOVERY_DEADLINE);
      // ...and once a server answered a request that needs the store, it never answered 503 again.
      for (const server of servers) {
        const mine = samples.filter(
          (s) => s.server === server.name && s.probe.affected && s.started > restoreAt,
        );
        const firstOk = Math.min(...mine.filter((s) => s.answer.status === 200).map((s) => s.ended));
        expect(
          mine.filter((s) => s.started > firstOk && s.answer.status !== 200).map(describeSample),
        ).toEqual([]);
      }
    }

    it("Redis cut: sessions and Redis revocations answer 503, Token and PostgreSQL revocations go on", async () => {
      const steady = [
        probes.session(true),
        probes.verify("redis", true),
        probes.token(false),
        probes.verify("pg", false),
      ];
      const [a, b] = servers as [ServerProcess, ServerProcess];
      const refresh = ((await call(a.base, "/api/redis/token/", { json: USER })).body as { refresh: string })
        .refresh;
      const whileDown: Probe[] = [
        {
          name: "POST /api/redis/token/refresh/",
          affected: true,
          send: (server) => call(server.base, "/api/redis/token/refresh/", { json: { refresh } }),
          ok: () => undefined,
        },
        {
          name: "POST /api/session/logout/",
          affected: true,
          send: (server) =>
            call(server.base, "/api/session/logout/", {
              method: "POST",
              headers: { Cookie: session, "X-CSRFToken": csrf },
            }),
          ok: () => undefined,
        },
        {
          name: "POST /api/session/login/",
          affected: true,
          send: async (server) => {
            const csrfAnswer = await call(server.base, "/api/session/csrf/");
            expect(csrfAnswer.status).toBe(200); // no session cookie: nothing to read from Redis
            const cookie = csrfAnswer.headers.getSetCookie()[0]!.split(";")[0]!;
            return call(server.base, "/api/session/login/", {
              json: USER,
              headers: {
                Cookie: cookie,
                "X-CSRFToken": (csrfAnswer.body as { csrfToken: string }).csrfToken,
              },
            });
          },
          ok: () => undefined,
        },
      ];
      const run = await outage(proxies.redis!, steady, whileDown);
      check(run, steady);

      // The 503s changed nothing: the session is still live, the refresh token still unused.
      expect(await call(b.base, "/api/me/", { headers: { Cookie: session } })).toMatchObject({
        status: 200,
        body: me(b),
      });
      const rotated = await call(b.base, "/api/redis/token/refresh/", { json: { refresh } });
      expect(rotated.status).toBe(200);
      expect(Object.keys(rotated.body as object).sort()).toEqual(["access", "refresh"]);
    });

    it("PostgreSQL cut: users, tokens and PostgreSQL revocations answer 503, Redis revocations go on", async () => {
      const steady = [
        probes.token(true),
        probes.bearer(true),
        probes.session(true), // the session is in Redis, its user in PostgreSQL
        probes.verify("pg", true),
        probes.verify("redis", false),
      ];
      const [a, b] = servers as [ServerProcess, ServerProcess];
      const refresh = ((await call(a.base, "/api/pg/token/", { json: USER })).body as { refresh: string })
        .refresh;
      // Users in PostgreSQL, revocations in Redis (docs/stores.md): the refresh reads the user before it
      // uses the token up in Redis, so the 503 leaves the token usable (issue 17 item 22).
      const redisRefresh = (
        (await call(a.base, "/api/redis/token/", { json: USER })).body as { refresh: string }
      ).refresh;
      const whileDown: Probe[] = [
        {
          name: "POST /api/pg/token/refresh/",
          affected: true,
          send: (server) => call(server.base, "/api/pg/token/refresh/", { json: { refresh } }),
          ok: () => undefined,
        },
        {
          name: "POST /api/redis/token/refresh/ (its user in PostgreSQL)",
          affected: true,
          send: (server) =>
            call(server.base, "/api/redis/token/refresh/", { json: { refresh: redisRefresh } }),
          ok: () => undefined,
        },
        {
          name: "POST /api-token-auth/",
          affected: true,
          send: (server) => call(server.base, "/api-token-auth/", { json: USER }),
          ok: () => undefined,
        },
        {
          name: "POST /api/auth/logout/",
          affected: true,
          send: (server) =>
            call(server.base, "/api/auth/logout/", {
              method: "POST",
              headers: { Authorization: `Token ${token}` },
            }),
          ok: () => undefined,
        },
      ];
      const run = await outage(proxies.pg!, steady, whileDown);
      check(run, steady);

      // The 503s changed nothing: the token still works, the refresh token is still unused.
      expect(await call(b.base, "/api/me/", { headers: { Authorization: `Token ${token}` } })).toMatchObject({
        status: 200,
        body: me(b),
      });
      const rotated = await call(b.base, "/api/pg/token/refresh/", { json: { refresh } });
      expect(rotated.status).toBe(200);
      expect(Object.keys(rotated.body as object).sort()).toEqual(["access", "refresh"]);
      const retried = await call(a.base, "/api/redis/token/refresh/", { json: { refresh: redisRefresh } });
      expect(retried.status, logs(servers)).toBe(200);
      // Its family lives: the new refresh token rotates on.
      const next = await call(b.base, "/api/redis/token/refresh/", {
        json: { refresh: (retried.body as { refresh: string }).refresh },
      });
      expect(next.status).toBe(200);
    });
  },
);
