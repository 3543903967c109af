import { expect } from "vitest";
import { InvalidToken } from "../../src/jwt/errors.js";

/** Asserts that `promise` rejects with an `InvalidToken` (401 `token_not_valid`) saying `detail`. */
export async function refused(promise: Promise<unknown>, detail: string): Promise<void> {
  const error = await promise.then(
    () => expect.unreachable("expected a refusal"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidToken);
  expect(error).toMatchObject({ status: 401, code: "token_not_valid", detail });
}
