/**
 * `portcullis/testing`: helpers for unit-testing schemes and stores under any test runner.
 *
 * @packageDocumentation
 */

export type {
  ConformanceAssertion,
  ConformanceDescribe,
  ConformanceExpect,
  ConformanceIt,
  ConformanceOptions,
  ConformanceTestAPI,
  CreatableUserStore,
  RevocationConformanceOptions,
  StoreFactory,
  StoreFixture,
} from "./conformance/index.js";
export {
  testRevocationStore,
  testSessionStore,
  testThrottleStore,
  testTokenStore,
  testUserStore,
} from "./conformance/index.js";
export type { SchemeContractOptions } from "./contract.js";
export { checkSchemeContract, SchemeContractError } from "./contract.js";
export type { MakeRequestOptions } from "./request.js";
export { basicAuthHeader, makeRequest, tokenAuthHeader } from "./request.js";
