/**
 * Response plumbing shared by the Fetch endpoint handlers: DRF's JSON bodies, its 405 and its `Allow`.
 * @internal
 */

/**
 * A Fetch endpoint handler: what `obtainAuthToken`, `tokenLogin`, `tokenLogout` and `tokenLogoutAll`
 * return. Mount it wherever the runtime takes `(request) => Response`: `Deno.serve`, `Bun.serve`, a
 * Next.js route handler, a Cloudflare Worker, Hono's `app.post(path, (c) => handler(c.req.raw))`.
 *
 * The promise rejects (never resolves to a 4xx) when a store or hasher fails: let the server's error
 * handling answer 500.
 *
 * @example
 * ```ts
 * const login: EndpointHandler = obtainAuthToken({ users, tokens });
 * Deno.serve((request) => login(request));
 * ```
 */
export type EndpointHandler = (request: Request) => Promise<Response>;

/** The methods every login/logout endpoint allows (DRF's `Allow` for a view with `post` only). */
export const ALLOW_POST = "POST, OPTIONS";

/** @internal A JSON response, with DRF's `Content-Type: application/json`. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** @internal DRF's `{"detail": "…"}` error body (its `exception_handler`, no `code`). */
export function detailResponse(status: number, detail: string): Response {
  return jsonResponse(status, { detail });
}

/**
 * @internal
 * Wraps a POST handler as a DRF view with only `post`:
 * - `OPTIONS` → 200 `{}` (DRF answers 200 with its metadata; the body here is empty JSON);
 * - any other method but `POST` → 405 `{"detail": "Method \"GET\" not allowed."}`;
 * - every response, the handler's included, carries `Allow: POST, OPTIONS`, as DRF's
 *   `default_response_headers` do.
 * The method is checked before anything else, so a wrong method costs no store access.
 */
export function postOnly(handle: (request: Request) => Promise<Response>): EndpointHandler {
  return async (request) => {
    let response: Response;
    if (request.method === "POST") response = await handle(request);
    else if (request.method === "OPTIONS") response = jsonResponse(200, {});
    else response = detailResponse(405, `Method "${request.method}" not allowed.`);
    response.headers.set("Allow", ALLOW_POST);
    return response;
  };
}
