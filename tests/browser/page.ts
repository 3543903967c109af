/**
 * What a page's own scripts see: their fetch() answers and document.cookie.
 */
import type { Page } from "playwright-core";

/** A fetch made by a page's own script, as that script sees it. */
export interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Fetches `url` from inside `on`, with its cookies; `csrf` adds X-CSRFToken read from document.cookie. */
export async function pageFetch(
  on: Page,
  url: string,
  init: { method?: string; csrf?: boolean } = {},
): Promise<PageAnswer> {
  return on.evaluate(
    async ({ url, method, csrf }) => {
      const token = /(?:^|; )csrftoken=([^;]*)/.exec(document.cookie)?.[1];
      const headers: Record<string, string> = csrf && token ? { "X-CSRFToken": token } : {};
      const response = await fetch(url, { method, headers });
      const text = await response.text();
      const answerHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        answerHeaders[name] = value;
      });
      return { status: response.status, headers: answerHeaders, body: text === "" ? null : JSON.parse(text) };
    },
    { url, method: init.method ?? "GET", csrf: init.csrf ?? false },
  );
}

/** The cookies `document.cookie` shows to `on`'s scripts, by name. */
export async function scriptCookies(on: Page): Promise<Record<string, string>> {
  const jar = await on.evaluate(() => document.cookie);
  return Object.fromEntries(
    jar
      .split("; ")
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}
