/**
 * The cost of a throttle check with the memory store: `UserRateThrottle.allowRequest(ctx)` over 1,000
 * users, each well under its rate, against the same call of a throttle that counts nothing.
 */

import { makeRequest } from "../src/testing/index.js";
import type { ThrottleContext, ThrottleDecision } from "../src/throttling/index.js";
import { MemoryThrottleStore, UserRateThrottle } from "../src/throttling/index.js";
import type { Contender } from "./interleave.js";

const USERS = 1_000;
const request = makeRequest();
const contexts: ThrottleContext[] = Array.from({ length: USERS }, (_, i) => ({
  request,
  user: { id: String(i + 1) },
  auth: null,
  scheme: "jwt",
  authenticators: [],
  userId: String(i + 1),
  isStaff: false,
  isSuperuser: false,
  permissions: [],
  clientIp: "127.0.0.1",
  throttleScope: null,
}));

// A realistic limit, never reached: the store keeps every hit of the hour, as DRF's cache does.
const throttle = new UserRateThrottle({ rate: "1000000/hour", store: new MemoryThrottleStore() });
const ALLOWED: ThrottleDecision = { allowed: true };
const counting = { allowRequest: async (_ctx: ThrottleContext): Promise<ThrottleDecision> => ALLOWED };

let next = 0;
const nextContext = (): ThrottleContext => contexts[next++ % USERS]!;

/** `UserRateThrottle` on a `MemoryThrottleStore`: one check. */
export const memoryThrottle: Contender = {
  name: 'UserRateThrottle({ rate: "1000000/hour", store: new MemoryThrottleStore() }).allowRequest(ctx)',
  run: () => throttle.allowRequest(nextContext()),
};

/** The same call on a throttle that counts nothing: the floor of an awaited call. */
export const noThrottle: Contender = {
  name: "an async allowRequest(ctx) that counts nothing",
  run: () => counting.allowRequest(nextContext()),
};

/** Both answer for a fresh user before timing. */
export async function checkThrottleContenders(): Promise<void> {
  for (const contender of [memoryThrottle, noThrottle]) {
    const decision = (await contender.run()) as ThrottleDecision;
    if (!decision.allowed) throw new Error(`${contender.name} refused a request under its rate`);
  }
}
