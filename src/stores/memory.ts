/**
 * In-memory stores, for tests, demos and single-process apps.
 */
export { MemoryRevocationStore } from "./memory-revocations.js";
export { MemorySessionStore } from "./memory-sessions.js";
export { MemoryThrottleStore } from "./memory-throttle.js";
export { MemoryTokenStore } from "./memory-tokens.js";
export { type DefaultUser, MemoryUserStore } from "./memory-users.js";
