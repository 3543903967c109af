import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RedisRevocationStore,
  RedisSessionStore,
  RedisThrottleStore,
  RedisTokenStore,
} from "../../../src/stores/redis/index.js";
import {
  testRevocationStore,
  testSessionStore,
  testThrottleStore,
  testTokenStore,
} from "../../../src/testing/index.js";
import { connect, fixture, skipRedis } from "./service.js";

const t = { describe, it, expect };

describe.skipIf(skipRedis)("the Redis stores pass the conformance suites", () => {
  let client: Redis;
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await client?.quit();
  });

  testTokenStore(() => fixture(client, (prefix) => new RedisTokenStore({ client, prefix })), t, {
    name: "RedisTokenStore conformance",
  });
  testSessionStore(() => fixture(client, (prefix) => new RedisSessionStore({ client, prefix })), t, {
    name: "RedisSessionStore conformance",
  });
  testRevocationStore(() => fixture(client, (prefix) => new RedisRevocationStore({ client, prefix })), t, {
    name: "RedisRevocationStore conformance",
    nativeExpiry: true,
  });
  testThrottleStore(() => fixture(client, (prefix) => new RedisThrottleStore({ client, prefix })), t, {
    name: "RedisThrottleStore conformance",
  });
});
