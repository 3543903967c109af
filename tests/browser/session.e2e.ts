/**
 * The session issue end to end, in a real browser: headless Chromium logs in to the demo through its
 * /login form, keeps the HttpOnly session cookie away from scripts, passes the CSRF check on a protected
 * POST from the demo's own page, is refused the same POST from a page on another origin, and logs out.
 */
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Response as BrowserResponse, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoServer } from "../../examples/demo/app.js";
import { unmaskCsrfToken } from "../../src/sessions/index.js";
import { type AuthPrompt, dismissAuthPrompts } from "./auth-prompts.js";
import { assertLoopbackOnly, type LaunchedBrowser, launchChromium } from "./chromium.js";
import { type OriginServer, serveForeignPage } from "./cross-origin.js";
import { pageFetch, scriptCookies } from "./page.js";

/** A request as the demo server received it, recorded beside its own handler. */
interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

const NOT_AUTHENTICATED = {
  detail: "Authentication credentials were not provided.",
  code: "not_authenticated",
};
const BASIC_CHALLENGE = 'Basic realm="api"';
/** Django's SESSION_COOKIE_AGE and CSRF_COOKIE_AGE, in seconds. */
const SESSION_AGE = 1_209_600;
const CSRF_AGE = 31_449_600;

let server: Server;
let base: string;
let foreign: OriginServer;
let browser: LaunchedBrowser;
let context: BrowserContext;
let page: Page;
/** Every Basic-auth dialog the demo page made the browser raise (and the test cancelled). */
let prompts: AuthPrompt[];
const seen: Seen[] = [];

beforeAll(async () => {
  await assertLoopbackOnly();
  server = await createDemoServer({ password: "demo" });
  server.on("request", (req) => {
    seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  foreign = await serveForeignPage("<!doctype html><title>elsewhere</title><p>another origin</p>");
  browser = await launchChromium();
  context = browser.context;
  page = context.pages()[0] ?? (await context.newPage());
  prompts = await dismissAuthPrompts(context, page);
});

afterAll(async () => {
  await browser?.close();
  await foreign?.close();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** Matches the browser's answer to `method path` on the demo. */
function demoAnswer(path: string, method = "POST"): (response: BrowserResponse) => boolean {
  return (response) => response.url() === `${base}${path}` && response.request().method() === method;
}

const inSeconds = (age: number): number => Date.now() / 1000 + age;

describe("session login in a real browser", () => {
  let firstCsrfCookie: string;
  let sessionId: string;

  it("serves the login form; its script gets a CSRF cookie and finds nobody logged in", async () => {
    const [navigation, csrf, ping] = await Promise.all([
      page.goto(`${base}/login`),
      page.waitForResponse(demoAnswer("/api/session/csrf/", "GET")),
      page.waitForResponse(demoAnswer("/api/ping/", "GET")),
    ]);
    expect(navigation?.status()).toBe(200);
    expect(navigation?.headers()["content-type"]).toBe("text/html; charset=utf-8");
    expect(await page.locator("#login-form #username").count()).toBe(1);
    expect(await page.getAttribute("#login-form #password", "type")).toBe("password");
    expect(await page.getAttribute("#login-form #login-button", "type")).toBe("submit");

    expect(csrf.status()).toBe(200);
    expect(await csrf.headerValues("set-cookie")).toEqual([
      expect.stringMatching(
        new RegExp(`^csrftoken=[a-zA-Z0-9]{32}; Max-Age=${CSRF_AGE}; Expires=[^;]+; Path=/; SameSite=Lax$`),
      ),
    ]);
    // /api/ping/ puts the session first: anonymous is 403 without a challenge, so no sign-in dialog.
    expect(ping.status()).toBe(403);
    expect(await ping.headerValue("www-authenticate")).toBeNull();
    await expect.poll(() => page.textContent("#status")).toBe("Not logged in");

    const cookies = await scriptCookies(page);
    expect(Object.keys(cookies)).toEqual(["csrftoken"]);
    expect(cookies.csrftoken).toMatch(/^[a-zA-Z0-9]{32}$/);
    firstCsrfCookie = cookies.csrftoken!;
    // The body holds a masked token (BREACH): 64 characters that unmask to the cookie's secret.
    const again = await pageFetch(page, `${base}/api/session/csrf/`);
    expect(again).toMatchObject({
      status: 200,
      body: { csrfToken: expect.stringMatching(/^[a-zA-Z0-9]{64}$/) },
    });
    expect(unmaskCsrfToken((again.body as { csrfToken: string }).csrfToken)).toBe(firstCsrfCookie);
  });

  it("logs in through the form, with the CSRF header, and rotates the CSRF cookie", async () => {
    await page.fill("#username", "demo");
    await page.fill("#password", "demo");
    const [answer] = await Promise.all([
      page.waitForResponse(demoAnswer("/api/session/login/")),
      page.click("#login-button"),
    ]);
    expect(answer.status()).toBe(200);
    expect(await answer.json()).toEqual({ id: "1", username: "demo" });
    const request = answer.request();
    expect(request.postDataJSON()).toEqual({ username: "demo", password: "demo" });
    expect(await request.headerValue("x-csrftoken")).toBe(firstCsrfCookie);
    expect(await answer.headerValues("set-cookie")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^sessionid=[\\w-]+; Max-Age=${SESSION_AGE}; Expires=[^;]+; Path=/; HttpOnly; SameSite=Lax$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^csrftoken=[a-zA-Z0-9]{32}; Max-Age=${CSRF_AGE}; Expires=[^;]+; Path=/; SameSite=Lax$`),
      ),
    ]);
    await expect.poll(() => page.textContent("#status")).toBe("Logged in as demo");

    const cookies = await scriptCookies(page);
    expect(cookies.csrftoken).toMatch(/^[a-zA-Z0-9]{32}$/);
    expect(cookies.csrftoken).not.toBe(firstCsrfCookie);
  });

  it("keeps the session cookie HttpOnly: in the browser's jar, not in document.cookie", async () => {
    expect(Object.keys(await scriptCookies(page))).toEqual(["csrftoken"]);
    const jar = await context.cookies(base);
    expect(jar.map((cookie) => cookie.name).sort()).toEqual(["csrftoken", "sessionid"]);
    const session = jar.find((cookie) => cookie.name === "sessionid")!;
    expect(session).toMatchObject({
      domain: "127.0.0.1",
      path: "/",
      httpOnly: true,
      secure: false,
      sameSite: "Lax",
    });
    expect(Math.abs(session.expires - inSeconds(SESSION_AGE))).toBeLessThan(60);
    const csrf = jar.find((cookie) => cookie.name === "csrftoken")!;
    expect(csrf).toMatchObject({
      domain: "127.0.0.1",
      path: "/",
      httpOnly: false,
      secure: false,
      sameSite: "Lax",
    });
    expect(Math.abs(csrf.expires - inSeconds(CSRF_AGE))).toBeLessThan(60);
    sessionId = session.value;
  });

  it("knows the user on /api/me/ through the session cookie alone", async () => {
    expect(await pageFetch(page, `${base}/api/me/`)).toMatchObject({
      status: 200,
      body: { id: "1", username: "demo" },
    });
  });

  it("answers the protected POST with the CSRF header: 200", async () => {
    const [answer] = await Promise.all([page.waitForResponse(demoAnswer("/api/ping/")), page.click("#ping")]);
    expect(answer.status()).toBe(200);
    expect(await answer.json()).toEqual({ pong: true, username: "demo" });
    expect(await answer.request().headerValue("x-csrftoken")).toBe((await scriptCookies(page)).csrftoken);
    await expect.poll(() => page.textContent("#ping-result")).toBe('200 {"pong":true,"username":"demo"}');

    expect(await pageFetch(page, `${base}/api/ping/`, { method: "POST", csrf: true })).toMatchObject({
      status: 200,
      body: { pong: true, username: "demo" },
    });
  });

  it("refuses the protected POST without the CSRF header, even from the demo's own page: 403", async () => {
    expect(await pageFetch(page, `${base}/api/ping/`, { method: "POST" })).toMatchObject({
      status: 403,
      body: { detail: "CSRF Failed: CSRF token missing.", code: "permission_denied" },
    });
  });

  describe("the same POST from a page on another origin (127.0.0.1, another port)", () => {
    let attacker: Page;
    const refusal = (): unknown => ({
      detail: `CSRF Failed: Origin checking failed - ${foreign.origin} does not match any trusted origins.`,
      code: "permission_denied",
    });

    /** The demo received exactly one POST /api/ping/, from `origin`, with the session cookie. */
    function expectSessionFrom(origin: string, arrived: Seen[]): void {
      expect(arrived.map(({ method, path }) => `${method} ${path}`)).toEqual(["POST /api/ping/"]);
      expect(arrived[0]!.headers.origin).toBe(origin);
      expect(arrived[0]!.headers.cookie).toContain(`sessionid=${sessionId}`);
    }

    beforeAll(async () => {
      attacker = await context.newPage();
      expect((await attacker.goto(`${foreign.origin}/`))?.status()).toBe(200);
    });
    afterAll(() => attacker?.close());

    it("carries the session cookie (same site) but is refused by the Origin check: 403", async () => {
      // Cookies ignore ports: the sibling page can even read the CSRF cookie. The Origin check stops it.
      expect(Object.keys(await scriptCookies(attacker))).toEqual(["csrftoken"]);
      const before = seen.length;
      // A POST the browser sends without a preflight. The demo sends no CORS headers, so the page
      // sees an opaque answer; the browser's network events show the status.
      const [answer, seenByPage] = await Promise.all([
        attacker.waitForResponse(demoAnswer("/api/ping/")),
        attacker.evaluate(async (url) => {
          const response = await fetch(url, { method: "POST", mode: "no-cors", credentials: "include" });
          return { type: response.type, status: response.status };
        }, `${base}/api/ping/`),
      ]);
      expect(seenByPage).toEqual({ type: "opaque", status: 0 });
      expect(answer.status()).toBe(403);
      expectSessionFrom(foreign.origin, seen.slice(before));
    });

    it("is refused the same when it submits a form (a top-level POST navigation): 403", async () => {
      const before = seen.length;
      const [answer] = await Promise.all([
        attacker.waitForResponse(demoAnswer("/api/ping/")),
        attacker.evaluate((url) => {
          const form = document.createElement("form");
          form.method = "POST";
          form.action = url;
          document.body.append(form);
          form.submit();
        }, `${base}/api/ping/`),
      ]);
      expect(answer.status()).toBe(403);
      expect(await answer.json()).toEqual(refusal());
      expectSessionFrom(foreign.origin, seen.slice(before));
      await attacker.goBack();
    });

    it("cannot send the CSRF header at all: the preflight fails and the POST never leaves", async () => {
      const before = seen.length;
      const [failed, result] = await Promise.all([
        attacker.waitForEvent("requestfailed", (request) => request.url() === `${base}/api/ping/`),
        attacker.evaluate(async (url) => {
          const token = /(?:^|; )csrftoken=([^;]*)/.exec(document.cookie)?.[1] ?? "";
          try {
            await fetch(url, { method: "POST", credentials: "include", headers: { "X-CSRFToken": token } });
            return "answered";
          } catch (error) {
            return String(error);
          }
        }, `${base}/api/ping/`),
      ]);
      expect(result).toBe("TypeError: Failed to fetch");
      expect(failed.failure()?.errorText).toBe("net::ERR_FAILED");
      const arrived = seen.slice(before).map(({ method, path, headers }) => ({
        method,
        path,
        origin: headers.origin,
        cookie: headers.cookie,
      }));
      expect(arrived).toEqual([
        { method: "OPTIONS", path: "/api/ping/", origin: foreign.origin, cookie: undefined },
      ]);
    });
  });

  it("logs out through the page: 204, and the session cookie is gone", async () => {
    const [answer] = await Promise.all([
      page.waitForResponse(demoAnswer("/api/session/logout/")),
      page.click("#logout"),
    ]);
    expect(answer.status()).toBe(204);
    expect(await answer.request().headerValue("x-csrftoken")).toBe((await scriptCookies(page)).csrftoken);
    expect(await answer.headerValues("set-cookie")).toEqual([
      "sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax",
    ]);
    await expect.poll(() => page.textContent("#status")).toBe("Logged out");
    expect((await context.cookies(base)).map((cookie) => cookie.name)).toEqual(["csrftoken"]);
  });

  it("is anonymous again: /api/me/ answers 401 with the Basic challenge, the session-first POST 403", async () => {
    expect(await pageFetch(page, `${base}/api/me/`)).toMatchObject({
      status: 401,
      headers: { "www-authenticate": BASIC_CHALLENGE },
      body: NOT_AUTHENTICATED,
    });
    const ping = await pageFetch(page, `${base}/api/ping/`, { method: "POST", csrf: true });
    expect(ping).toMatchObject({ status: 403, body: NOT_AUTHENTICATED });
    expect(ping.headers["www-authenticate"]).toBeUndefined();
  });

  it("ended the session on the server: the old cookie, put back, is worth nothing", async () => {
    await context.addCookies([
      {
        name: "sessionid",
        value: sessionId,
        domain: "127.0.0.1",
        path: "/",
        httpOnly: true,
        sameSite: "Lax",
      },
    ]);
    const before = seen.length;
    expect(await pageFetch(page, `${base}/api/me/`)).toMatchObject({ status: 401, body: NOT_AUTHENTICATED });
    expect(seen[before]?.headers.cookie).toContain(`sessionid=${sessionId}`);
  });

  it("raised a Basic sign-in dialog only for the test's own fetches of the Basic-first /api/me/", () => {
    // A 401 with `WWW-Authenticate: Basic` makes a browser ask its user for a password even for a
    // page's fetch() (cancelled here). The login page itself only calls session-first views: none.
    const dialog = (path: string): AuthPrompt => ({ url: `${base}${path}`, scheme: "basic", realm: "api" });
    expect(prompts).toEqual([dialog("/api/me/"), dialog("/api/me/")]);
  });
});
