/**
 * Synchronous fast paths, internal to portcullis (not exported from the package).
 *
 * Every scheme and store method in the public contract returns a promise, and each awaited promise
 * costs a microtask. A built-in scheme or memory store that can answer at once registers a
 * synchronous twin of its async method; the runner and the built-in schemes call the twin and only
 * wait when something along the way really is asynchronous. The twin is attached to the method's
 * function object together with that function itself, and used only when the method about to be called
 * is that very function: a subclass that overrides the method, or a test spy that replaces it (even one
 * that copies the original's properties), is called as written. The fast path never bypasses user code.
 */

/** A value, or a promise of it. */
export type MaybePromise<T> = T | PromiseLike<T>;

const SYNC_TWIN = Symbol("portcullis.syncTwin");

type Twin<This, Args extends unknown[], R> = (this: This, ...args: Args) => MaybePromise<R>;
type WithTwin<This, Args extends unknown[], R> = {
  [SYNC_TWIN]?: { method: unknown; twin: Twin<This, Args, R> };
};

/**
 * Registers `twin` as the synchronous form of `method`: same arguments, same answers and errors, but
 * it returns (or throws) at once when it can, and a promise only when it cannot. Only portcullis's own
 * callers reach a twin, and they never change or keep what it answers, so a twin may hand out what the
 * method copies (MemoryUserStore's answers its stored record).
 *
 * @param method - an async method on a class prototype
 * @param twin - its synchronous form
 */
export function defineSyncTwin<This, Args extends unknown[], R>(
  method: (this: This, ...args: Args) => Promise<R>,
  twin: Twin<This, Args, R>,
): void {
  Object.defineProperty(method, SYNC_TWIN, { value: { method, twin } });
}

/**
 * Calls `method` on `target` with one argument, through its synchronous twin when it has one.
 *
 * @param target - the object the method belongs to
 * @param method - the method, read from `target` (so an override or a spy is what is called)
 * @param arg - its argument
 * @returns the answer, or a promise of it
 */
export function callSync<This, A, R>(
  target: This,
  method: (this: This, arg: A) => PromiseLike<R>,
  arg: A,
): MaybePromise<R> {
  const entry = (method as WithTwin<This, [A], R>)[SYNC_TWIN];
  return entry?.method === method ? entry.twin.call(target, arg) : method.call(target, arg);
}

/** As {@link callSync}, with two arguments. */
export function callSync2<This, A, B, R>(
  target: This,
  method: (this: This, a: A, b: B) => PromiseLike<R>,
  a: A,
  b: B,
): MaybePromise<R> {
  const entry = (method as WithTwin<This, [A, B], R>)[SYNC_TWIN];
  return entry?.method === method ? entry.twin.call(target, a, b) : method.call(target, a, b);
}

/**
 * `method.call(target, a, b, c)` as a promise: a value it returns resolves it, and a throw rejects it,
 * as an async function would. The async form of a synchronous twin. (Fixed arguments rather than a rest
 * parameter: it sits on every authentication's path.)
 *
 * @param target - the `this` of the call
 * @param method - a function that answers now or with a promise, and may throw
 * @param a - its first argument, and so on
 */
export function settle<This, A, R>(
  target: This,
  method: (this: This, a: A) => MaybePromise<R>,
  a: A,
): Promise<R>;
export function settle<This, A, B, R>(
  target: This,
  method: (this: This, a: A, b: B) => MaybePromise<R>,
  a: A,
  b: B,
): Promise<R>;
export function settle<This, A, B, C, R>(
  target: This,
  method: (this: This, a: A, b: B, c: C) => MaybePromise<R>,
  a: A,
  b: B,
  c: C,
): Promise<R>;
export function settle(
  target: unknown,
  method: (this: unknown, a: unknown, b?: unknown, c?: unknown) => unknown,
  a: unknown,
  b?: unknown,
  c?: unknown,
): Promise<unknown> {
  try {
    return Promise.resolve(method.call(target, a, b, c));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * True for a promise or any other thenable.
 *
 * @param value - the value to test
 */
export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === "function";
}

/**
 * `next(value)` now when `value` is already here, or once it resolves.
 *
 * @param value - a value or a promise of it
 * @param next - what to do with it; may itself return a promise
 * @returns the outcome of `next`, synchronously when both steps were synchronous
 */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromiseLike(value) ? Promise.resolve(value).then(next) : next(value);
}
