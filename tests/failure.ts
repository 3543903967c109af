import { expect } from "vitest";
import { AuthenticationFailed } from "../src/index.js";

/** Awaits a promise that must reject with an AuthenticationFailed, and returns the error. */
export async function failure(promise: Promise<unknown>): Promise<AuthenticationFailed> {
  const error = await promise.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationFailed);
  return error as AuthenticationFailed;
}
