/**
 * What the RevocationStore suite's files share: expiries an hour either side of now, and outstanding
 * tokens to record.
 *
 * Expiry runs on the real clock, not the harness's `at`: the store may use its own (database or Redis
 * server) clock, and an hour leaves room for one a few minutes off the test's.
 */
import type { OutstandingToken } from "../../stores/types.js";
import { HOUR } from "./harness.js";

/** An expiry an hour from now. @internal */
export function future(): Date {
  return new Date(Date.now() + HOUR);
}

/** An expiry an hour ago. @internal */
export function past(): Date {
  return new Date(Date.now() - HOUR);
}

/** A fresh {@link OutstandingToken}, expiring an hour from now unless told. @internal */
export function token(
  jti: string,
  userId: string | null,
  familyId: string | null,
  expiresAt: Date = future(),
): OutstandingToken {
  return { jti, userId, familyId, expiresAt };
}
