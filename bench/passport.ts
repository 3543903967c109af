/**
 * The peer: passport-http's BasicStrategy through `passport.authenticate(…, callback)(req, res, next)`,
 * the way a route handler uses a custom callback, wrapped in a Promise that the callback resolves.
 */
import passport from "passport";
import { BasicStrategy } from "passport-http";
import { AUTHORIZATION, checkCredentials } from "./auth.js";
import type { Contender } from "./interleave.js";

/** What `passport.authenticate()` returns (typed `any` upstream): Connect-style middleware. */
type Middleware = (req: object, res: object, next: (error?: unknown) => void) => void;

const authenticator = new passport.Passport();
authenticator.use(
  new BasicStrategy((username, password, done) => done(null, checkCredentials(username, password) ?? false)),
);

// The same headers record every call, as Node hands one to each request; the req object is fresh per
// call, as in a server, because passport adds its methods (logIn, isAuthenticated, …) to it.
const headers = { host: "api.example.com", accept: "application/json", authorization: AUTHORIZATION };
const res = {};

/** One authentication, resolved with the user (or `false`) when passport calls back. */
export function passportAuthenticate(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = { method: "GET", url: "/me/", headers };
    const middleware: Middleware = authenticator.authenticate(
      "basic",
      { session: false },
      (error: unknown, user: unknown) => (error ? reject(error) : resolve(user)),
    );
    middleware(req, res, reject);
  });
}

/** passport-http BasicStrategy, end to end. */
export const passportBasic: Contender = {
  name: "passport-http BasicStrategy via passport.authenticate",
  run: passportAuthenticate,
};
