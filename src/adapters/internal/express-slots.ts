/**
 * Where `req.user` and `req.auth` live under Express, for the Express adapter.
 * @internal
 */
import type { Request } from "express";

// Express gives every request its app's request prototype (Object.setPrototypeOf) before the routes run,
// and V8 then takes a slow path, ~2-3 µs, for each property added to that request. `user` and `auth` are
// declared once on Express's request prototype instead, as accessors over a WeakMap: `req.user = x`
// (passport's too) and `req.user` read and write as before, without adding a property to the request.
const slots = new WeakMap<object, { user: unknown; auth: unknown }>();
const DECLARED = Symbol.for("portcullis.express.slots");

/**
 * Declares `user` and `auth` on Express's request prototype (once), as accessors over a WeakMap.
 *
 * @example
 * ```ts
 * declareSlots(req);
 * (req as { user?: unknown }).user = user; // no property added to req
 * ```
 */
export function declareSlots(req: Request): void {
  // Only under an Express app, whose request prototype holds `app`; never on Node's
  // IncomingMessage.prototype (the middleware under connect, or a router on a bare http.Server).
  const appRequest: object | null = Object.getPrototypeOf(req);
  if (appRequest === null || !Object.hasOwn(appRequest, "app")) return;
  // On express.request, which every app's and sub-app's request prototype inherits: a sub-app swaps the
  // prototype while it runs and restores its parent's after, and both must see the same values.
  const prototype: object | null = Object.getPrototypeOf(appRequest);
  if (prototype === null || Object.hasOwn(prototype, DECLARED)) return;
  Object.defineProperty(prototype, DECLARED, { value: true });
  for (const name of ["user", "auth"] as const) {
    // A `user` already declared there stays (an app's own on app.request shadows this one anyway).
    if (Object.hasOwn(prototype, name)) continue;
    Object.defineProperty(prototype, name, {
      configurable: true,
      enumerable: false,
      get(this: object): unknown {
        return slots.get(this)?.[name];
      },
      set(this: object, value: unknown) {
        const slot = slots.get(this);
        if (slot === undefined) slots.set(this, { user: undefined, auth: undefined, [name]: value });
        else slot[name] = value;
      },
    });
  }
}
