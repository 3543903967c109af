/**
 * Permissions: DRF's `permissions.py`, checked after authentication by every adapter and `withAuth`.
 */
import { NotAuthenticated, PermissionDenied } from "./errors.js";
import type { AuthRequest, BaseAuthentication } from "./scheme.js";

/**
 * What a permission sees: the request, who made it, and the route's permissions (for
 * {@link checkObjectPermissions}).
 *
 * @example
 * ```ts
 * const IsOwner: Permission<AppUser> = {
 *   hasPermission: () => true,
 *   hasObjectPermission: (ctx, note) => (note as Note).ownerId === ctx.user?.id,
 * };
 * ```
 */
export interface PermissionContext<User = unknown> {
  /** The request. */
  readonly request: AuthRequest;
  /** The authenticated user, or `null` for an anonymous request (DRF's `request.user`). */
  readonly user: User | null;
  /** What proved the identity (a token record, claims, a session), or `null` (DRF's `request.auth`). */
  readonly auth: unknown;
  /** The user record's `isStaff` (Django's `is_staff`): false for an anonymous request. */
  readonly isStaff: boolean;
  /** The user record's `isSuperuser` (Django's `is_superuser`): false for an anonymous request. */
  readonly isSuperuser: boolean;
  /** The scheme that authenticated, or `null`. */
  readonly scheme: string | null;
  /** The route's schemes (DRF's `request.authenticators`): none on a route open to anyone. */
  readonly authenticators: readonly BaseAuthentication<User>[];
  /** The route's permissions, which {@link checkObjectPermissions} checks again for one object. */
  readonly permissions: readonly Permission<User>[];
}

/**
 * A permission, DRF's `BasePermission`: `hasPermission` for every request, `hasObjectPermission` for
 * one object when the handler calls {@link checkObjectPermissions}. Either may be async. A refusal
 * answers `message` and `code` (default DRF's "You do not have permission to perform this action.").
 *
 * @example
 * ```ts
 * const IsVerified: Permission<AppUser> = {
 *   hasPermission: (ctx) => ctx.user?.emailVerified === true,
 *   message: "Verify your email address first.",
 *   code: "email_not_verified",
 * };
 * ```
 * @see https://www.django-rest-framework.org/api-guide/permissions/#custom-permissions
 */
export interface Permission<User = unknown> {
  /** Whether the request may go on (DRF's `has_permission`). */
  hasPermission(ctx: PermissionContext<User>): boolean | Promise<boolean>;
  /** Whether the request may act on `obj` (DRF's `has_object_permission`); absent means yes. */
  hasObjectPermission?(ctx: PermissionContext<User>, obj: unknown): boolean | Promise<boolean>;
  /** The refusal's `detail`. */
  readonly message?: string;
  /** The refusal's `code`. */
  readonly code?: string;
}

/** DRF's `SAFE_METHODS`. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Lets every request through (DRF's `AllowAny`): says on a route that it is open on purpose. With
 * `required: false`: `required` (default true) is checked before the permissions.
 *
 * @example
 * ```ts
 * app.get("/api/status/", auth({ required: false, permissions: [AllowAny] }), status);
 * ```
 */
export const AllowAny: Permission = { hasPermission: () => true };

/**
 * Only authenticated users (DRF's `IsAuthenticated`); `required: true` is shorthand for it.
 *
 * @example
 * ```ts
 * app.get("/api/me/", auth({ permissions: [IsAuthenticated] }), me);
 * ```
 */
export const IsAuthenticated: Permission = { hasPermission: (ctx) => ctx.user !== null };

/**
 * Only staff users (DRF's `IsAdminUser`: Django's `is_staff`): the record's `isStaff`, which the
 * built-in schemes pass on (a custom scheme returns `record` beside `user` for the same).
 *
 * @example
 * ```ts
 * app.delete("/api/users/:id/", auth({ permissions: [IsAdminUser] }), removeUser);
 * ```
 */
export const IsAdminUser: Permission = {
  hasPermission: (ctx) => ctx.user !== null && ctx.isStaff,
};

/**
 * Anyone may read (`GET`, `HEAD`, `OPTIONS`); only authenticated users may write (DRF's
 * `IsAuthenticatedOrReadOnly`).
 *
 * @example
 * ```ts
 * app.use("/api/articles", auth({ required: false, permissions: [IsAuthenticatedOrReadOnly] }));
 * ```
 */
export const IsAuthenticatedOrReadOnly: Permission = {
  hasPermission: (ctx) => SAFE_METHODS.has(ctx.request.method) || ctx.user !== null,
};

/**
 * Both must allow (DRF's `A & B`). Like DRF's, the composite has no message of its own: a refusal
 * answers the default.
 *
 * @param a - the first permission, checked first
 * @param b - the second, checked only when the first allows
 * @returns the composite permission
 * @example
 * ```ts
 * auth({ permissions: [and(IsAuthenticated, IsVerified)] });
 * ```
 */
export function and<User>(a: Permission<User>, b: Permission<User>): Permission<User> {
  return {
    hasPermission: async (ctx) => (await a.hasPermission(ctx)) && b.hasPermission(ctx),
    hasObjectPermission: async (ctx, obj) =>
      (await objectPermission(a, ctx, obj)) && objectPermission(b, ctx, obj),
  };
}

/**
 * Either may allow (DRF's `A | B`). For an object, one side must allow both the request and the
 * object (DRF 3.14's rule), so `or(IsAdminUser, IsOwner)` does not let a non-owner through because
 * `IsAdminUser` has no object check.
 *
 * @param a - the first permission, checked first
 * @param b - the second, checked only when the first refuses
 * @returns the composite permission
 * @example
 * ```ts
 * auth({ permissions: [or(IsAdminUser, IsOwner)] });
 * ```
 */
export function or<User>(a: Permission<User>, b: Permission<User>): Permission<User> {
  return {
    hasPermission: async (ctx) => (await a.hasPermission(ctx)) || b.hasPermission(ctx),
    hasObjectPermission: async (ctx, obj) =>
      ((await a.hasPermission(ctx)) && (await objectPermission(a, ctx, obj))) ||
      ((await b.hasPermission(ctx)) && objectPermission(b, ctx, obj)),
  };
}

/**
 * The opposite (DRF's `~A`), for the request and for an object.
 *
 * @param a - the permission to invert
 * @returns the composite permission
 * @example
 * ```ts
 * auth({ required: false, permissions: [not(IsAuthenticated)] }); // a sign-up page for anonymous users only
 * ```
 */
export function not<User>(a: Permission<User>): Permission<User> {
  return {
    hasPermission: async (ctx) => !(await a.hasPermission(ctx)),
    hasObjectPermission: async (ctx, obj) => !(await objectPermission(a, ctx, obj)),
  };
}

function objectPermission<User>(
  permission: Permission<User>,
  ctx: PermissionContext<User>,
  obj: unknown,
): boolean | Promise<boolean> {
  return permission.hasObjectPermission ? permission.hasObjectPermission(ctx, obj) : true;
}

/**
 * Checks the route's permissions in order and throws DRF's `permission_denied` at the first refusal:
 * `NotAuthenticated` when the route has schemes and none authenticated (the adapter answers 401 with the
 * first scheme's challenge, or 403 when it has none), else `PermissionDenied` with the permission's
 * message and code.
 * Adapters call it after authentication; call it yourself only in a custom adapter.
 *
 * @param ctx - the request's context
 * @throws NotAuthenticated or PermissionDenied
 * @example
 * ```ts
 * await checkPermissions({ ...ctx, permissions: [IsAdminUser] });
 * ```
 * @see https://www.django-rest-framework.org/api-guide/permissions/#how-permissions-are-determined
 */
export async function checkPermissions<User>(ctx: PermissionContext<User>): Promise<void> {
  for (const permission of ctx.permissions) {
    if (!(await permission.hasPermission(ctx))) deny(ctx, permission);
  }
}

/**
 * Checks the route's permissions against one object (DRF's `check_object_permissions`), for a handler
 * that has loaded it: throws as {@link checkPermissions} does, which the adapter answers as DRF does.
 *
 * @param ctx - the context the adapter gave the handler (`req.authContext`, `c.get("authContext")`, …)
 * @param obj - the object the request acts on
 * @throws NotAuthenticated or PermissionDenied
 * @example
 * ```ts
 * app.delete("/api/notes/:id/", auth({ permissions: [IsOwner] }), async (req, res) => {
 *   const note = await notes.get(req.params.id);
 *   await checkObjectPermissions(req.authContext, note);
 *   await notes.delete(note.id);
 *   res.status(204).end();
 * });
 * ```
 * @see https://www.django-rest-framework.org/api-guide/permissions/#object-level-permissions
 */
export async function checkObjectPermissions<User>(
  ctx: PermissionContext<User>,
  obj: unknown,
): Promise<void> {
  for (const permission of ctx.permissions) {
    if (!(await objectPermission(permission, ctx, obj))) deny(ctx, permission);
  }
}

function deny<User>(ctx: PermissionContext<User>, permission: Permission<User>): never {
  // DRF's permission_denied: "not authenticated" only where a scheme could have authenticated.
  if (ctx.scheme === null && ctx.authenticators.length > 0) throw new NotAuthenticated();
  throw new PermissionDenied(permission.message, permission.code);
}
