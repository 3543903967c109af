/**
 * A Fetch Response taken apart for the Node frameworks' adapters, which answer through their own objects.
 * @internal
 */

/** What a Node framework needs to answer a Fetch Response. @internal */
export interface FetchResponseParts {
  status: number;
  /** Every header but Set-Cookie, by name. */
  headers: Record<string, string>;
  /** Each Set-Cookie on its own: joined with commas, as Headers would, a browser reads them wrong. */
  cookies: string[];
  /** The body, or undefined when the response has none. */
  body: Uint8Array | undefined;
}

/**
 * Reads a Fetch Response (the endpoint handlers' answer) into status, headers, cookies and body bytes.
 *
 * @example
 * ```ts
 * const { status, headers, cookies, body } = await fetchResponseParts(await handler(request));
 * ```
 */
export async function fetchResponseParts(response: Response): Promise<FetchResponseParts> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  return {
    status: response.status,
    headers,
    cookies: response.headers.getSetCookie(),
    body: response.body === null ? undefined : new Uint8Array(await response.arrayBuffer()),
  };
}
