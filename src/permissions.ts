/**
 * `portcullis/permissions`: DRF's `rest_framework.permissions`. Give them to a route as
 * `permissions: [...]` (every adapter, `withAuth`, `createAuth` defaults); they run after the schemes.
 *
 * @example
 * ```ts
 * import { IsAdminUser, IsAuthenticatedOrReadOnly } from "portcullis/permissions";
 *
 * app.get("/api/articles/", auth({ required: false, permissions: [IsAuthenticatedOrReadOnly] }), list);
 * app.delete("/api/users/:id/", auth({ permissions: [IsAdminUser] }), removeUser);
 * ```
 *
 * @packageDocumentation
 */
export type { Permission, PermissionContext } from "./core/permissions.js";
export {
  AllowAny,
  and,
  checkObjectPermissions,
  checkPermissions,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  not,
  or,
} from "./core/permissions.js";
