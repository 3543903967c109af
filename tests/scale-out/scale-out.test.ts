/**
 * Scale-out (issue 7): two server processes, A and B, share PostgreSQL (users, tokens, revocations) and
 * Redis (sessions, revocations) and one JWT signing secret. Whatever one instance decides, the other
 * honours: a revoked token, a session begun or ended, a refresh token rotated or blacklisted, and of
 * concurrent refreshes (or a logout racing a refresh) of one token on both, exactly one wins.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Answer,
  call,
  cookieHeader,
  createWorld,
  logs,
  type ServerProcess,
  sessionLogin,
  skipReason,
  type World,
} from "./cluster.js";
import { USER } from "./env.js";

const skip = await skipReason();
const BLACKLISTED = { detail: "Token is blacklisted", code: "token_not_valid" };
/** The servers' reuse grace window: JWTService's default `reuseGraceSeconds`, 5. */
const GRACE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many answers had each status: `{ 200: 1, 401: 99 }`. */
function tally(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

describe.skipIf(skip !== null)(
  `two server processes sharing PostgreSQL and Redis${skip === null ? "" : ` (skipped: ${skip})`}`,
  () => {
    let world: World | undefined;
    let a: ServerProcess;
    let b: ServerProcess;

    beforeAll(async () => {
      world = await createWorld();
      [a, b] = await Promise.all([world.start("A"), world.start("B")]);
    }, 60_000);
    afterAll(async () => {
      await world?.close();
    });

    const me = (server: ServerProcess) => ({
      id: world!.userId,
      username: USER.username,
      server: server.name,
    });

    it("a token issued and revoked through A is refused by B", async () => {
      const issued = await call(a.base, "/api-token-auth/", { json: USER });
      expect(issued.status).toBe(200);
      const auth = { Authorization: `Token ${(issued.body as { token: string }).token}` };
      for (const server of [b, a]) {
        expect(await call(server.base, "/api/me/", { headers: auth })).toMatchObject({
          status: 200,
          body: me(server),
        });
      }

      expect((await call(a.base, "/api/auth/logout/", { method: "POST", headers: auth })).status).toBe(204);

      for (const server of [b, a]) {
        const refused = await call(server.base, "/api/me/", { headers: auth });
        expect(refused.status, server.name).toBe(401);
        expect(refused.body).toEqual({ detail: "Invalid token.", code: "authentication_failed" });
        expect(refused.headers.get("www-authenticate")).toBe("Token");
      }
    });

    it("a session created on A authenticates on B, and a logout on B ends it on A", async () => {
      const cookies = await sessionLogin(a.base);
      expect(Object.keys(cookies).sort()).toEqual(["csrftoken", "sessionid"]);
      const Cookie = cookieHeader(cookies);
      for (const server of [b, a]) {
        expect(await call(server.base, "/api/me/", { headers: { Cookie } })).toMatchObject({
          status: 200,
          body: me(server),
        });
      }

      // B checks the CSRF token against the secret of the session A created.
      const logout = await call(b.base, "/api/session/logout/", {
        method: "POST",
        headers: { Cookie, "X-CSRFToken": cookies.csrftoken! },
      });
      expect(logout.status).toBe(204);

      for (const server of [a, b]) {
        const after = await call(server.base, "/api/me/", { headers: { Cookie } });
        expect(after.status, server.name).toBe(401);
        expect(after.body).toEqual({
          detail: "Authentication credentials were not provided.",
          code: "not_authenticated",
        });
      }
    });

    describe.each(["pg", "redis"])("JWT revocations in %s", (store) => {
      const path = (view: string) => `/api/${store}/token/${view}`;

      it("100 concurrent refreshes of one refresh token across A and B: one 200, and the family lives", async () => {
        const pair = await call(a.base, path(""), { json: USER });
        expect(pair.status).toBe(200);
        const { refresh } = pair.body as { refresh: string };

        const answers = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            call([a, b][i % 2]!.base, path("refresh/"), { json: { refresh } }),
          ),
        );
        expect(tally(answers), logs([a, b])).toEqual({ 200: 1, 401: 99 });
        for (const refused of answers.filter(({ status }) => status === 401)) {
          expect(refused.body).toEqual(BLACKLISTED);
        }
        const won = answers.find(({ status }) => status === 200)!.body as { access: string; refresh: string };
        expect(Object.keys(won).sort()).toEqual(["access", "refresh"]);
        // The 99 came within the reuse grace window: duplicates (two tabs), not replays. The winner's
        // new refresh token rotates on, through either instance.
        const next = await call(b.base, path("refresh/"), { json: { refresh: won.refresh } });
        expect(next.status, logs([a, b])).toBe(200);
        const latest = await call(a.base, path("refresh/"), {
          json: { refresh: (next.body as { refresh: string }).refresh },
        });
        expect(latest.status).toBe(200);
        const { refresh: newest } = latest.body as { refresh: string };

        // A replay after the window is reuse (RFC 9700 §4.14.2): the family goes, on both instances.
        await sleep(GRACE_MS + 500);
        expect(await call(b.base, path("refresh/"), { json: { refresh } })).toMatchObject({
          status: 401,
          body: BLACKLISTED,
        });
        for (const server of [a, b]) {
          const replay = await call(server.base, path("refresh/"), { json: { refresh: newest } });
          expect(replay.status, server.name).toBe(401);
          expect(replay.body).toEqual(BLACKLISTED);
        }
      });

      it("a logout on one instance racing a refresh on the other: exactly one 200, the family revoked", async () => {
        for (let round = 0; round < 6; round++) {
          const [refresher, logger] = round % 2 === 0 ? [a, b] : [b, a];
          const pair = await call(a.base, path(""), { json: USER });
          const { refresh } = pair.body as { refresh: string };
          const [refreshed, logout] = await Promise.all([
            call(refresher.base, path("refresh/"), { json: { refresh } }),
            call(logger.base, path("blacklist/"), { json: { refresh } }),
          ]);
          const statuses = [refreshed.status, logout.status];
          expect(
            statuses.filter((status) => status === 200),
            `round ${round}: ${statuses}`,
          ).toHaveLength(1);
          for (const answer of [refreshed, logout].filter(({ status }) => status !== 200)) {
            expect(answer).toMatchObject({ status: 401, body: BLACKLISTED });
          }
          if (refreshed.status === 200) {
            // The thief's refresh won, and the logout revoked what it got.
            const { refresh: stolen } = refreshed.body as { refresh: string };
            for (const server of [a, b]) {
              expect(await call(server.base, path("refresh/"), { json: { refresh: stolen } })).toMatchObject({
                status: 401,
                body: BLACKLISTED,
              });
            }
          }
          expect(await call(refresher.base, path("refresh/"), { json: { refresh } })).toMatchObject({
            status: 401,
            body: BLACKLISTED,
          });
        }
      });

      it("a refresh token blacklisted through A is refused by B", async () => {
        const pair = await call(b.base, path(""), { json: USER });
        const { refresh } = pair.body as { refresh: string };
        expect(await call(a.base, path("blacklist/"), { json: { refresh } })).toMatchObject({
          status: 200,
          body: {},
        });
        expect(await call(b.base, path("refresh/"), { json: { refresh } })).toMatchObject({
          status: 401,
          body: BLACKLISTED,
        });
        expect(await call(b.base, path("verify/"), { json: { token: refresh } })).toMatchObject({
          status: 400,
          body: { non_field_errors: ["Token is blacklisted"] },
        });
      });
    });
  },
);
