/**
 * `portcullis/testing`: helpers for unit-testing schemes and stores under any test runner.
 *
 * @packageDocumentation
 */

export type { SchemeContractOptions } from "./contract.js";
export { checkSchemeContract, SchemeContractError } from "./contract.js";
export type { MakeRequestOptions } from "./request.js";
export { basicAuthHeader, makeRequest, tokenAuthHeader } from "./request.js";
