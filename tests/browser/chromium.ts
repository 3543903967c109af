/**
 * Headless Chromium for the browser tests: Debian's `chromium`, driven by playwright-core, with a fresh
 * profile in a temp folder and every background service we know of turned off. The tests run inside a
 * loopback-only network namespace (scripts/test-browser.sh); `assertLoopbackOnly` refuses to run
 * anywhere else, so a browser that reaches past this machine is a failed test, not a silent one.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** No GPU, no QUIC, no first-run, sync, update or background traffic; --headless and --no-sandbox for CI. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Every host, IP literals included, fails to resolve except 127.0.0.1 and localhost: no DNS lookup leaves.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
];

export interface LaunchedBrowser {
  context: BrowserContext;
  /** Closes the browser and deletes its profile folder. */
  close(): Promise<void>;
}

/** Launches Chromium with a fresh user-data-dir; fails with a clear message if it is not installed. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing. Install Debian's Chromium first: ` +
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium",
    );
  }
  const profile = await mkdtemp(join(tmpdir(), "portcullis-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    // Everything is local: a wait longer than this is a hang, and should fail well before the test's timeout.
    context.setDefaultTimeout(10_000);
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Throws unless this process sits in a network namespace whose only interface is `lo`.
 * /proc/self/net/dev is per namespace (unlike /sys/class/net, which shows the mounter's namespace).
 */
export async function assertLoopbackOnly(): Promise<void> {
  const table = await readFile("/proc/self/net/dev", "utf8");
  const interfaces = table
    .split("\n")
    .slice(2)
    .map((line) => line.split(":")[0]?.trim())
    .filter((name): name is string => Boolean(name));
  if (interfaces.length !== 1 || interfaces[0] !== "lo") {
    throw new Error(
      `The browser tests run in a loopback-only network namespace, but this one has ${interfaces.join(", ")}. ` +
        "Run them with `npm run test:browser` (scripts/test-browser.sh, as root).",
    );
  }
}
