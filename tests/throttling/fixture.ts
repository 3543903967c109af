/**
 * What the throttling tests share: two users with Token keys, requests from a client address, the
 * guard's answer in a comparable shape, and a frozen clock DRF's tests get from `timer()`.
 */
import { vi } from "vitest";
import { type AuthOptions, guard } from "../../src/core/guard.js";
import {
  type AuthRequest,
  hashPassword,
  MemoryTokenStore,
  MemoryUserStore,
  TokenAuthentication,
} from "../../src/index.js";
import { makeRequest } from "../../src/testing/index.js";

/** Cheap hashing for tests. */
export const passwords = { iterations: 1000 };

/** An instant to count from: DRF's tests set `timer()` to 0, 1, 2…; these are seconds after it. */
export const EPOCH = Date.UTC(2026, 0, 1);

/** Freezes `Date.now()` at EPOCH + `seconds` (only Date is faked: WebCrypto and promises run as usual). */
export function at(seconds: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(EPOCH + seconds * 1000);
}

/** ada and bob, each with a Token key; the Token scheme over them. */
export async function people() {
  const users = new MemoryUserStore();
  const tokens = new MemoryTokenStore();
  const passwordHash = await hashPassword("correct horse", passwords);
  const ada = await users.create({ username: "ada", passwordHash });
  const bob = await users.create({ username: "bob", passwordHash });
  const token = new TokenAuthentication({ tokens, users });
  const keys = { ada: (await token.issue(ada.id)).token, bob: (await token.issue(bob.id)).token };
  return { users, ada, bob, token, keys, schemes: [token] };
}

/** A GET from `remoteAddress`, as a user (a Token key) or anonymous, with extra headers. */
export function from(
  remoteAddress: string | null,
  options: { key?: string; headers?: Record<string, string>; method?: string } = {},
): AuthRequest {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.Authorization = `Token ${options.key}`;
  const request = makeRequest({ headers, ...(options.method ? { method: options.method } : {}) });
  return { ...request, remoteAddress };
}

/** The guard's answer: `{ status: 200 }` for a pass, else status, headers and body. */
export async function answer(request: AuthRequest, options: AuthOptions<unknown>) {
  const result = await guard(request, options);
  if (result.ok) return { status: 200 };
  return { status: result.status, headers: result.headers, body: result.body };
}

/** The status alone. */
export async function statusOf(request: AuthRequest, options: AuthOptions<unknown>): Promise<number> {
  return (await answer(request, options)).status;
}
