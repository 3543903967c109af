/**
 * The Basic-authentication contenders: portcullis through the runner and directly, over a
 * `makeRequest` view and over a Node-style headers record.
 */
import type { IncomingHttpHeaders } from "node:http";
import { type AuthRequest, authenticate, BasicAuthentication } from "../src/index.js";
import { basicAuthHeader, makeRequest } from "../src/testing/index.js";
import type { Contender } from "./interleave.js";

/** The one user every contender authenticates. */
export interface BenchUser {
  id: number;
  username: string;
}

export const USERNAME = "ada";
export const PASSWORD = "correct horse battery staple";
export const USER: BenchUser = { id: 1, username: USERNAME };
/** `Basic YWRhOmNvcnJlY3QgaG9yc2UgYmF0dGVyeSBzdGFwbGU=`, shared by every contender. */
export const AUTHORIZATION: string = basicAuthHeader(USERNAME, PASSWORD);

/** The trivial check every contender uses: two string comparisons. */
export function checkCredentials(username: string, password: string): BenchUser | null {
  return username === USERNAME && password === PASSWORD ? USER : null;
}

/**
 * An `AuthRequest` over a Node `IncomingMessage`-like object, as an adapter builds it: O(1), no copy;
 * Node already lower-cases header names, so `get` lower-cases the name and reads the record.
 */
export function nodeRequestView(message: {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}): AuthRequest {
  const headers = message.headers;
  return {
    method: message.method ?? "GET",
    url: message.url ?? "/",
    headers: {
      get(name: string): string | null {
        const value = headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(", ") : value;
      },
    },
  };
}

/** A Node-style message carrying the valid header, as `http.IncomingMessage` exposes it. */
export const NODE_MESSAGE: { method: string; url: string; headers: IncomingHttpHeaders } = {
  method: "GET",
  url: "/me/",
  headers: { host: "api.example.com", accept: "application/json", authorization: AUTHORIZATION },
};

const basic = new BasicAuthentication<BenchUser>({ verify: checkCredentials });
const schemes = [basic];
const request = makeRequest({ headers: { Authorization: AUTHORIZATION } });

/** `authenticate(request, [basic])`, the DRF-style runner, on one `makeRequest` view. */
export const runner: Contender = {
  name: "authenticate(req, [basic])",
  run: () => authenticate(request, schemes),
};

/** `basic.authenticate(request)` called directly, on the same request. */
export const direct: Contender = {
  name: "basic.authenticate(req)",
  run: () => basic.authenticate(request),
};

/** The runner on a fresh Node request view per call, over the same headers record. */
export const runnerNodeView: Contender = {
  name: "portcullis authenticate(), Node request view",
  run: () => authenticate(nodeRequestView(NODE_MESSAGE), schemes),
};

/** Throws unless every portcullis contender authenticates {@link USER}. */
export async function checkPortcullis(): Promise<void> {
  const results = [
    await authenticate(request, schemes),
    await authenticate(nodeRequestView(NODE_MESSAGE), schemes),
  ];
  for (const result of results) {
    if (result.outcome !== "success" || result.user !== USER) {
      throw new Error(`portcullis did not authenticate: ${JSON.stringify(result)}`);
    }
  }
  if ((await basic.authenticate(request))?.user !== USER) {
    throw new Error("basic.authenticate(req) did not authenticate");
  }
}
