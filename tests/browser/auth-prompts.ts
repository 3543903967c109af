/**
 * HTTP authentication challenges in a real browser. A 401 with `WWW-Authenticate: Basic` makes
 * Chromium ask the user for credentials, even for a page's own fetch(); headless, nobody answers
 * and the request hangs. `dismissAuthPrompts` answers every challenge on a page as a user pressing
 * "Cancel" would (the page then sees the 401), and records each one: a dialog a real user would get.
 */
import type { BrowserContext, Page } from "playwright-core";

/** One challenge the browser would have shown as a sign-in dialog. */
export interface AuthPrompt {
  url: string;
  scheme: string;
  realm: string;
}

/** Cancels every authentication dialog on `page`; the returned list fills as challenges arrive. */
export async function dismissAuthPrompts(context: BrowserContext, page: Page): Promise<AuthPrompt[]> {
  const prompts: AuthPrompt[] = [];
  const cdp = await context.newCDPSession(page);
  // A send fails only once the page is closing; the request it was for no longer matters then.
  const ignoreClosed = (): void => {};
  // With the Fetch domain on, every request pauses: let each one go on unchanged.
  cdp.on("Fetch.requestPaused", (event) => {
    cdp.send("Fetch.continueRequest", { requestId: event.requestId }).catch(ignoreClosed);
  });
  cdp.on("Fetch.authRequired", (event) => {
    const { scheme, realm } = event.authChallenge;
    prompts.push({ url: event.request.url, scheme, realm });
    cdp
      .send("Fetch.continueWithAuth", {
        requestId: event.requestId,
        authChallengeResponse: { response: "CancelAuth" },
      })
      .catch(ignoreClosed);
  });
  await cdp.send("Fetch.enable", {
    handleAuthRequests: true,
    patterns: [{ urlPattern: "*", requestStage: "Request" }],
  });
  return prompts;
}
