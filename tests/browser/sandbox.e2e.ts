/**
 * The sandbox the browser tests rely on: a network namespace with loopback only, and a Chromium that
 * loads pages from this machine and nothing else.
 */
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertLoopbackOnly, type LaunchedBrowser, launchChromium } from "./chromium.js";

let server: Server;
let base: string;
let browser: LaunchedBrowser;
let page: Page;

beforeAll(async () => {
  await assertLoopbackOnly();
  server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>local</title><p id=greeting>hello from 127.0.0.1</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
});

async function fetchError(url: string): Promise<string> {
  return page.evaluate(async (target) => {
    try {
      const response = await fetch(target, { mode: "no-cors" });
      return `answered ${response.type}`;
    } catch (error) {
      return String(error);
    }
  }, url);
}

describe("the browser sandbox", () => {
  it("loads a page from a node:http server on 127.0.0.1", async () => {
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent("#greeting")).toBe("hello from 127.0.0.1");
  });

  it.each(["http://example.com/", "http://192.0.2.1/", "http://[::1]/"])(
    "refuses %s: the resolver rules map every host but 127.0.0.1 and localhost to nothing",
    async (url) => {
      const failed = page.waitForEvent("requestfailed", (request) => request.url() === url);
      expect(await fetchError(url)).toBe("TypeError: Failed to fetch");
      expect((await failed).failure()?.errorText).toBe("net::ERR_NAME_NOT_RESOLVED");
    },
  );

  it("runs in a namespace with no route off this machine", async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737). With loopback only, the kernel has no route to it at all.
    const error = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const socket = connect({ host: "192.0.2.1", port: 80 });
      socket.once("connect", () =>
        reject(new Error("connected to 192.0.2.1: the namespace is not isolated")),
      );
      socket.once("error", resolve);
    });
    expect(error.code).toBe("ENETUNREACH");
  });
});
