/**
 * What the scale-out test and its server processes agree on.
 */
import type { PasswordOptions } from "../../src/index.js";

/** The environment a server process reads (tests/scale-out/server.ts). */
export interface ServerEnv {
  /** The instance's name, echoed in `/api/me/` answers ("A", "B"). */
  SCALE_OUT_NAME: string;
  /** PostgreSQL, possibly through the test's proxy. */
  SCALE_OUT_PG_URL: string;
  /** The schema the test created and migrated (the pool's search_path). */
  SCALE_OUT_PG_SCHEMA: string;
  /** Redis, possibly through the test's proxy. */
  SCALE_OUT_REDIS_URL: string;
  /** The run's Redis key prefix. */
  SCALE_OUT_REDIS_PREFIX: string;
  /** The HS256 secret every instance shares. */
  SCALE_OUT_JWT_SECRET: string;
}

/** Cheap PBKDF2 for the tests' logins: the test hashes the password, the servers verify, with this count. */
export const TEST_PASSWORDS: PasswordOptions = { iterations: 1_000 };

/** The one user of a run. */
export const USER = { username: "ada", password: "correct horse battery staple" } as const;
