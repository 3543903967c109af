/**
 * Store conformance suites: the documented contract of each store interface, as tests registered with
 * the caller's runner.
 */
export type {
  ConformanceAssertion,
  ConformanceDescribe,
  ConformanceExpect,
  ConformanceIt,
  ConformanceOptions,
  ConformanceTestAPI,
  StoreFactory,
  StoreFixture,
} from "./harness.js";
export type { RevocationConformanceOptions } from "./revocations.js";
export { testRevocationStore } from "./revocations.js";
export { testSessionStore } from "./sessions.js";
export { testThrottleStore } from "./throttle.js";
export { testTokenStore } from "./tokens.js";
export type { CreatableUserStore } from "./users.js";
export { testUserStore } from "./users.js";
