/**
 * SessionAuthentication against express-session + passport.session(): the same users, each side's own
 * memory session store, a GET carrying the session cookie of a logged-in user, whole middleware path.
 */
import type { IncomingHttpHeaders } from "node:http";
import session from "express-session";
import passport from "passport";
import {
  authenticate,
  type DefaultUser,
  MemorySessionStore,
  MemoryUserStore,
  SessionAuthentication,
  SessionManager,
} from "../src/index.js";
import { makeRequest } from "../src/testing/index.js";
import { nodeRequestView } from "./auth.js";
import type { Contender } from "./interleave.js";

/** Logged-in users, one session each on each side, cycled one per call. */
export const SESSIONS = 1_000;

/** Connect-style middleware, as express-session and passport return it. */
type Middleware = (req: BenchRequest, res: BenchResponse, next: (error?: unknown) => void) => void;

/** What a Node server hands the middleware: method, url and the lower-cased headers record. */
interface BenchRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  user?: DefaultUser;
  session?: unknown;
  login?: (user: DefaultUser, done: (error?: unknown) => void) => void;
}

/**
 * The part of `http.ServerResponse` express-session uses: headers (`getHeader`, `setHeader`), `writeHead`
 * (which on-headers wraps to set the cookie), `_header` / `_implicitHeader`, `write` and `end` (which
 * express-session wraps to save or touch the session). Writing costs nothing; `end` reports when the
 * original `end` runs, after express-session has committed the session.
 */
class BenchResponse {
  statusCode = 200;
  _header: string | null = null;
  readonly headers = new Map<string, number | string | string[]>();

  constructor(private readonly onEnd: () => void) {}

  getHeader(name: string): number | string | string[] | undefined {
    return this.headers.get(name.toLowerCase());
  }

  setHeader(name: string, value: number | string | string[]): this {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }

  writeHead(statusCode: number): this {
    this.statusCode = statusCode;
    this._header = `HTTP/1.1 ${statusCode}`;
    return this;
  }

  _implicitHeader(): void {
    this.writeHead(this.statusCode);
  }

  write(): boolean {
    return true;
  }

  end(): this {
    if (this._header === null) this._implicitHeader();
    this.onEnd();
    return this;
  }
}

/** Runs `chain` in order as connect and express do, then calls `done` (with the first error, if any). */
function runChain(
  chain: readonly Middleware[],
  req: BenchRequest,
  res: BenchResponse,
  done: (error?: unknown) => void,
): void {
  let index = 0;
  const next = (error?: unknown): void => {
    const middleware = chain[index++];
    if (error !== undefined && error !== null) done(error);
    else if (middleware === undefined) done();
    else middleware(req, res, next);
  };
  next();
}

/** Every contender of the session comparison, built on the same users. */
export interface SessionContenders {
  /** `authenticate(request, [session])`, a fresh Node request view per call. */
  portcullis: Contender;
  /** `session.authenticate(request)` called directly, same requests. */
  portcullisDirect: Contender;
  /** session() → passport.initialize() → passport.session() until the handler would run. */
  expressMiddleware: Contender;
  /** The same, then `res.end()` until express-session has committed the session (touch). */
  expressRequest: Contender;
  /** The cookie max-age both sides use, in seconds. */
  maxAgeSeconds: number;
  /** Successful authentications per contender so far; every run rejects on anything else. */
  counts: () => Record<string, number>;
}

/** Cycles through `items`, one per call. */
function cycle<T>(items: readonly T[]): () => T {
  let cursor = 0;
  return () => {
    const item = items[cursor]!;
    cursor = cursor + 1 === items.length ? 0 : cursor + 1;
    return item;
  };
}

/** The `name=value` pair of each Set-Cookie line. */
function cookiePairs(setCookie: readonly string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const line of setCookie) {
    const pair = line.split(";", 1)[0]!;
    const equals = pair.indexOf("=");
    pairs.set(pair.slice(0, equals).trim(), pair.slice(equals + 1).trim());
  }
  return pairs;
}

/**
 * Logs {@link SESSIONS} users in on both sides (portcullis `sessions.login`, passport `req.login` through
 * the real middleware), captures each side's cookies, checks that every contender resolves the right user.
 */
export async function sessionContenders(): Promise<SessionContenders> {
  const users = new MemoryUserStore();
  const records = [];
  for (let i = 0; i < SESSIONS; i++) {
    records.push(await users.create({ username: `user${i}`, passwordHash: null }));
  }

  /** The lookup passport's deserializeUser does: `MemoryUserStore.findById`, active users only. */
  async function lookup(id: unknown): Promise<DefaultUser | null> {
    const record = typeof id === "string" ? await users.findById(id) : null;
    return record?.isActive ? record.user : null;
  }

  // portcullis: log every user in once, keep the cookies the browser would send back.
  const sessions = new SessionManager({ store: new MemorySessionStore(), users, secure: false });
  const scheme = new SessionAuthentication({ sessions });
  const schemes = [scheme];
  const portcullisCookies: string[] = [];
  let maxAgeSeconds = Number.NaN;
  for (const record of records) {
    const { headers } = await sessions.login(makeRequest({ method: "POST" }), record);
    const lines = headers.getSetCookie();
    const pairs = cookiePairs(lines);
    if (!pairs.has("sessionid")) throw new Error(`portcullis login set no sessionid: ${lines.join(" / ")}`);
    maxAgeSeconds = Number(/max-age=(\d+)/i.exec(lines.find((l) => l.startsWith("sessionid=")) ?? "")?.[1]);
    portcullisCookies.push([...pairs].map(([name, value]) => `${name}=${value}`).join("; "));
  }
  if (!Number.isFinite(maxAgeSeconds)) throw new Error("portcullis session cookie has no Max-Age");
  // A CSRF cookie of the same length on the express side, if portcullis's login set one, so both
  // sides parse a Cookie header of the same shape.
  const csrf = cookiePairs(portcullisCookies[0]!.split("; ")).get("csrftoken");

  // express-session + passport: the same expiry, the rest as their READMEs configure them.
  const authenticator = new passport.Passport();
  authenticator.serializeUser<string>((user, done) => done(null, (user as DefaultUser).id));
  authenticator.deserializeUser<string>((id, done) => {
    lookup(id).then(
      (user) => done(null, user ?? false),
      (error: unknown) => done(error),
    );
  });
  const chain: Middleware[] = [
    session({
      secret: "keyboard cat: a 32-byte secret for the benchmark",
      resave: false,
      saveUninitialized: false,
      store: new session.MemoryStore(),
      cookie: { secure: false, httpOnly: true, sameSite: "lax", maxAge: maxAgeSeconds * 1000 },
    }),
    authenticator.initialize(),
    authenticator.session(),
  ].map((middleware) => middleware as unknown as Middleware);

  const expressCookies: string[] = [];
  for (const record of records) {
    const req: BenchRequest = { method: "POST", url: "/login", headers: { host: "api.example.com" } };
    const res = await new Promise<BenchResponse>((resolve, reject) => {
      const res: BenchResponse = new BenchResponse(() => resolve(res));
      runChain(chain, req, res, (error) => {
        if (error) return reject(error);
        req.login!(record.user, (error) => (error ? reject(error) : res.end()));
      });
    });
    const setCookie = res.getHeader("set-cookie");
    const sid = cookiePairs(Array.isArray(setCookie) ? setCookie : [String(setCookie)]).get("connect.sid");
    if (sid === undefined) throw new Error("express-session set no connect.sid at login");
    expressCookies.push(
      `connect.sid=${sid}${csrf === undefined ? "" : `; csrftoken=${"x".repeat(csrf.length)}`}`,
    );
  }

  // The requests: a GET with the cookies, as Node's parser hands the headers record to every layer.
  const message = (cookie: string) => ({
    method: "GET",
    url: "/me/",
    headers: { host: "api.example.com", accept: "application/json", cookie },
  });
  const portcullisMessages = records.map((record, i) => ({
    id: record.id,
    message: message(portcullisCookies[i]!),
  }));
  const expressMessages = records.map((record, i) => ({
    id: record.id,
    message: message(expressCookies[i]!),
  }));
  const nextPortcullis = cycle(portcullisMessages);
  const nextExpress = cycle(expressMessages);

  const counts: Record<string, number> = {};
  const succeeded = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };

  const portcullisName = "portcullis authenticate(req, [SessionAuthentication]), MemorySessionStore";
  const portcullis: Contender = {
    name: portcullisName,
    run: async () => {
      const { id, message } = nextPortcullis();
      const result = await authenticate(nodeRequestView(message), schemes);
      if (result.outcome !== "success" || (result.user as DefaultUser).id !== id) {
        throw new Error(`portcullis did not authenticate user ${id}: ${result.outcome}`);
      }
      succeeded(portcullisName);
    },
  };

  const directName = "portcullis session.authenticate(req), MemorySessionStore";
  const portcullisDirect: Contender = {
    name: directName,
    run: async () => {
      const { id, message } = nextPortcullis();
      const result = await scheme.authenticate(nodeRequestView(message));
      if ((result?.user as DefaultUser | undefined)?.id !== id) {
        throw new Error(`session.authenticate did not authenticate user ${id}`);
      }
      succeeded(directName);
    },
  };

  let lastResponse: BenchResponse | undefined;
  /** One GET through the chain; with `end`, then `res.end()` until express-session has committed. */
  function expressGet(name: string, end: boolean): () => Promise<void> {
    return () =>
      new Promise<void>((resolve, reject) => {
        const { id, message } = nextExpress();
        // A fresh req per call, as a server makes: express-session and passport add their fields to it.
        const req: BenchRequest = { method: message.method, url: message.url, headers: message.headers };
        const done = () => {
          succeeded(name);
          resolve();
        };
        const res = new BenchResponse(done);
        lastResponse = res;
        runChain(chain, req, res, (error) => {
          if (error) return reject(error);
          if (req.user?.id !== id) return reject(new Error(`passport did not deserialize user ${id}`));
          if (end) res.end();
          else done();
        });
      });
  }

  const middlewareName = "express-session + passport.session(), middleware chain to the handler";
  const requestName = "express-session + passport.session(), chain + res.end() (session touched)";
  const contenders = {
    portcullis,
    portcullisDirect,
    expressMiddleware: { name: middlewareName, run: expressGet(middlewareName, false) },
    expressRequest: { name: requestName, run: expressGet(requestName, true) },
  };
  // Every contender resolves every user once before timing.
  for (let i = 0; i < SESSIONS; i++) {
    for (const contender of Object.values(contenders)) await contender.run();
  }
  // An unmodified session with a max-age: express-session touches it in the store and sets no cookie.
  if (lastResponse?.getHeader("set-cookie") !== undefined)
    throw new Error("express-session set a cookie on a GET");
  return { ...contenders, maxAgeSeconds, counts: () => ({ ...counts }) };
}
