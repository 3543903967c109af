/**
 * A floor for Basic: the least code that keeps portcullis's shape (an async runner awaiting an async
 * scheme awaiting an async `verify`) but parses with `indexOf` and `atob` only. It skips what
 * RFC 7617 and DRF ask for (strict base64, UTF-8 with a latin-1 fallback, whitespace rules, errors),
 * so it is not a contender: it shows how much of a call the async layering alone costs.
 */
import { makeRequest } from "../src/testing/index.js";
import { AUTHORIZATION, type BenchUser, checkCredentials, USER } from "./auth.js";
import type { Contender } from "./interleave.js";

type Request = ReturnType<typeof makeRequest>;
type Scheme = (request: Request) => Promise<{ user: BenchUser } | null>;

const verify = async (username: string, password: string) => checkCredentials(username, password);

async function minimalBasic(request: Request): Promise<{ user: BenchUser } | null> {
  const header = request.headers.get("authorization");
  if (header === null || header.slice(0, 6).toLowerCase() !== "basic ") return null;
  const text = atob(header.slice(6));
  const colon = text.indexOf(":");
  if (colon === -1) throw new Error("Invalid basic header.");
  const user = await verify(text.slice(0, colon), text.slice(colon + 1));
  if (user === null) throw new Error("Invalid username/password.");
  return { user };
}

type Outcome = { outcome: "success"; user: BenchUser } | { outcome: "none" };

async function minimalRunner(request: Request, schemes: readonly Scheme[]): Promise<Outcome> {
  for (const scheme of schemes) {
    const authenticated = await scheme(request);
    if (authenticated !== null) return { outcome: "success", user: authenticated.user };
  }
  return { outcome: "none" };
}

const request = makeRequest({ headers: { Authorization: AUTHORIZATION } });
const schemes = [minimalBasic];

/** The floor, on the same `makeRequest` view as the portcullis contender. */
export const floor: Contender = {
  name: "floor: async runner > scheme > verify, indexOf + atob parse",
  run: () => minimalRunner(request, schemes),
};

/** Throws unless the floor authenticates {@link USER}. */
export async function checkFloor(): Promise<void> {
  const result = await minimalRunner(request, schemes);
  if (result.outcome !== "success" || result.user !== USER) throw new Error("the floor did not authenticate");
}
