/**
 * The world of the pipeline tests (./pipeline.ts): the route table every adapter serves, over fresh
 * throttle stores, and {@link view}, the handler of every route. An adapter's builder serves each route
 * through its `auth()` (or `createAuth(project).auth(options)`) and mounts `login` at /api/login/.
 *
 * | route | guard |
 * |---|---|
 * | /api/admin/ | `[basic, token]`, `IsAdminUser` |
 * | /api/articles/ (GET, POST) | `required: false`, `IsAuthenticatedOrReadOnly` |
 * | /api/plan/ | a permission with its own message and code (`X-Plan: pro`) |
 * | /api/async/ | an async permission (grace only), DRF's default message |
 * | /api/notes/ (GET, POST) | `required: false`, `[IsAuthenticatedOrReadOnly, IsOwner]`; the handler checks the note |
 * | /api/user-rate/ | `required: false`, `UserRateThrottle("3/minute")` |
 * | /api/anon-rate/ | `required: false`, `AnonRateThrottle("3/minute")` |
 * | /api/behind-proxy/ | `required: false`, `numProxies: 1`, `AnonRateThrottle("1/minute")` |
 * | /api/uploads/, /api/contacts/, /api/unscoped/ | one `ScopedRateThrottle`, `throttleScope` uploads (2/minute), contacts (1/minute), none |
 * | /api/throttle-down/, /api/throttle-open/ | a throttle store that throws `StoreUnavailable`; fail closed, fail open |
 * | /api/project/… | `createAuth({ schemes, permissions: [IsAdminUser], throttles: [UserRateThrottle("2/minute")] })` |
 * | /api/basic-lockout/ | `BasicAuthentication` with a `Lockout` (2 failures) |
 * | /api/login/ | mounted `obtainAuthToken` with a `Lockout` (2 failures) |
 */
import type { AuthOptions } from "../../src/core/guard.js";
import {
  AuthEvents,
  BasicAuthentication,
  type DefaultUser,
  type EndpointHandler,
  hashPassword,
  obtainAuthToken,
  StoreUnavailable,
} from "../../src/index.js";
import {
  checkObjectPermissions,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  type Permission,
} from "../../src/permissions.js";
import {
  AnonRateThrottle,
  Lockout,
  MemoryThrottleStore,
  ScopedRateThrottle,
  type ThrottleContext,
  type ThrottleState,
  type ThrottleStore,
  UserRateThrottle,
} from "../../src/throttling/index.js";
import { PASSWORD, passwords, type World, world } from "./world.js";

/** A route of the table: its methods, its options, and whether the handler checks an object. */
export interface PipelineRoute {
  path: string;
  methods: readonly ("GET" | "POST")[];
  /** The route's `auth()` options; with `project`, what the route gives the project's `auth()`. */
  options: Partial<AuthOptions<DefaultUser>>;
  /** The project's defaults: the route is `createAuth(project).auth(options)`. */
  project?: AuthOptions<DefaultUser>;
  /** The handler loads the note `{ owner: ?owner }` and calls `checkObjectPermissions` on it. */
  object?: boolean;
}

/** What every route of the table answers with 200. */
export interface PipelineAnswer {
  /** The user the adapter gave the handler (`req.user`, `c.get("user")`…). */
  user: unknown;
  /** The context's user: the same. */
  contextUser: unknown;
  /** The context's client address. */
  clientIp: string | null;
}

/**
 * The handler of every route: what the adapter exposed (`req.authContext`, `c.get("authContext")`…),
 * after `checkObjectPermissions` on routes with `object`, whose refusal the adapter must answer.
 *
 * @param route - the route
 * @param ctx - the adapter's `authContext`
 * @param user - the adapter's user
 * @param url - the request's URL (or path and query)
 */
export async function view(
  route: PipelineRoute,
  ctx: ThrottleContext<DefaultUser>,
  user: unknown,
  url: string,
): Promise<PipelineAnswer> {
  if (route.object) {
    const owner = new URL(url, "http://localhost").searchParams.get("owner");
    await checkObjectPermissions(ctx, { owner });
  }
  return { user, contextUser: ctx.user, clientIp: ctx.clientIp };
}

/** A throttle store whose backend is down. */
export class DownThrottleStore implements ThrottleStore {
  async hit(): Promise<ThrottleState> {
    throw new StoreUnavailable("throttles");
  }
  async peek(): Promise<ThrottleState> {
    throw new StoreUnavailable("throttles");
  }
  async reset(): Promise<void> {
    throw new StoreUnavailable("throttles");
  }
}

/** A memory store that records the keys it counts. */
export class RecordingThrottleStore extends MemoryThrottleStore {
  readonly keys: string[] = [];
  override hit(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState> {
    this.keys.push(key);
    return super.hit(key, limit, windowMs, now);
  }
}

type Note = { owner: string | null };

/** Only the note's owner (DRF's docs' `IsOwnerOrReadOnly`, without the read-only part). */
const IsOwner: Permission<DefaultUser> = {
  hasPermission: () => true,
  hasObjectPermission: (ctx, note) => (note as Note).owner === ctx.user?.username,
  message: "You do not own this note.",
  code: "not_owner",
};

/** A permission with its own message and code. */
const HasPlan: Permission<DefaultUser> = {
  hasPermission: (ctx) => ctx.request.headers.get("x-plan") === "pro",
  message: "Upgrade your plan to use this.",
  code: "plan_required",
};

/** An async permission (an allow-list read from a store), with DRF's default message. */
const AllowListed: Permission<DefaultUser> = {
  hasPermission: async (ctx) => {
    await new Promise((resolve) => setImmediate(resolve));
    return ctx.user?.username === "grace";
  },
};

export type PipelineWorld = Awaited<ReturnType<typeof pipelineWorld>>;

/**
 * The adapters' world plus grace (id "2", staff), the route table over fresh stores, the login
 * endpoint, and the events and store failures the app reported.
 */
export async function pipelineWorld() {
  const w: World = await world();
  const grace = await w.users.create({
    username: "grace",
    passwordHash: await hashPassword(PASSWORD, passwords),
    isStaff: true,
  });
  const events = new AuthEvents();
  const seen: { event: string; scope: string; clientIp: string | null; username?: string }[] = [];
  events.on("lockedOut", ({ scope, clientIp, username }) =>
    seen.push({ event: "lockedOut", scope, clientIp, username }),
  );
  events.on("throttled", ({ scope, clientIp }) => seen.push({ event: "throttled", scope, clientIp }));
  const failedOpen: unknown[] = [];
  const { basic, token } = w.schemes;
  const userStore = new RecordingThrottleStore();
  const anonStore = new RecordingThrottleStore();
  const proxyStore = new RecordingThrottleStore();
  const scopedStore = new RecordingThrottleStore();
  const scoped = new ScopedRateThrottle<DefaultUser>({
    rates: { uploads: "2/minute", contacts: "1/minute" },
    store: scopedStore,
  });
  const project: AuthOptions<DefaultUser> = {
    schemes: [basic, token],
    permissions: [IsAdminUser],
    throttles: [new UserRateThrottle({ rate: "2/minute", store: new MemoryThrottleStore() })],
  };
  const down = new DownThrottleStore();
  const lockedBasic = new BasicAuthentication({
    users: w.users,
    passwords,
    lockout: new Lockout({ store: new MemoryThrottleStore(), failures: 2, events }),
  });
  const optional = { schemes: [basic, token], required: false } as const;
  const routes: PipelineRoute[] = [
    {
      path: "/api/admin/",
      methods: ["GET"],
      options: { schemes: [basic, token], permissions: [IsAdminUser] },
    },
    {
      path: "/api/articles/",
      methods: ["GET", "POST"],
      options: { ...optional, permissions: [IsAuthenticatedOrReadOnly] },
    },
    // `required: true` beside the permissions: IsAuthenticated first, then the plan.
    {
      path: "/api/plan/",
      methods: ["GET"],
      options: { schemes: [basic], required: true, permissions: [HasPlan] },
    },
    { path: "/api/async/", methods: ["GET"], options: { schemes: [basic], permissions: [AllowListed] } },
    {
      path: "/api/notes/",
      methods: ["GET", "POST"],
      options: { ...optional, permissions: [IsAuthenticatedOrReadOnly, IsOwner] },
      object: true,
    },
    {
      path: "/api/user-rate/",
      methods: ["GET"],
      options: {
        ...optional,
        throttles: [new UserRateThrottle({ rate: "3/minute", store: userStore, events })],
      },
    },
    {
      path: "/api/anon-rate/",
      methods: ["GET"],
      options: { ...optional, throttles: [new AnonRateThrottle({ rate: "3/minute", store: anonStore })] },
    },
    {
      path: "/api/behind-proxy/",
      methods: ["GET"],
      options: {
        ...optional,
        numProxies: 1,
        throttles: [new AnonRateThrottle({ rate: "1/minute", store: proxyStore })],
      },
    },
    {
      path: "/api/uploads/",
      methods: ["GET"],
      options: { ...optional, throttles: [scoped], throttleScope: "uploads" },
    },
    {
      path: "/api/contacts/",
      methods: ["GET"],
      options: { ...optional, throttles: [scoped], throttleScope: "contacts" },
    },
    { path: "/api/unscoped/", methods: ["GET"], options: { ...optional, throttles: [scoped] } },
    {
      path: "/api/throttle-down/",
      methods: ["GET"],
      options: { schemes: [basic], throttles: [new UserRateThrottle({ rate: "3/minute", store: down })] },
    },
    {
      path: "/api/throttle-open/",
      methods: ["GET"],
      options: {
        schemes: [basic],
        throttles: [
          new UserRateThrottle({
            rate: "3/minute",
            store: down,
            failOpen: true,
            onStoreError: (error) => failedOpen.push(error),
          }),
        ],
      },
    },
    { path: "/api/project/", methods: ["GET"], options: {}, project },
    {
      path: "/api/project/authenticated/",
      methods: ["GET"],
      options: { permissions: [IsAuthenticated] },
      project,
    },
    { path: "/api/project/unthrottled/", methods: ["GET"], options: { throttles: [] }, project },
    { path: "/api/basic-lockout/", methods: ["GET"], options: { schemes: [lockedBasic] } },
  ];
  const login: EndpointHandler = obtainAuthToken({
    users: w.users,
    tokens: w.tokens,
    passwords,
    lockout: new Lockout({ store: new MemoryThrottleStore(), failures: 2, events }),
  });
  return {
    ...w,
    grace,
    routes,
    login,
    seen,
    failedOpen,
    stores: { user: userStore, anon: anonStore, proxy: proxyStore, scoped: scopedStore },
  };
}
