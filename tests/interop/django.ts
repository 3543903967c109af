/**
 * Runs operations through a real Django + DRF + simplejwt (Debian's packages) via django_bridge.py.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const BRIDGE = fileURLToPath(new URL("./django_bridge.py", import.meta.url));

/** The secret both sides share: Django's SECRET_KEY and simplejwt's SIGNING_KEY. */
export const SECRET = "interop-secret-long-enough-for-hs512-keys-0123456789abcdef-0123456789";

export interface DjangoCall {
  /** simplejwt's SIMPLE_JWT settings (SIGNING_KEY is SECRET unless given). */
  simpleJwt?: Record<string, unknown>;
  csrfTrustedOrigins?: string[];
  ops: Record<string, unknown>[];
}

/** Runs `ops` in one Django process; an op that raised answers `{ error }`. */
export function django(call: DjangoCall): Record<string, unknown>[] {
  const input = JSON.stringify({
    secret: SECRET,
    simple_jwt: call.simpleJwt ?? {},
    csrf_trusted_origins: call.csrfTrustedOrigins ?? [],
    ops: call.ops,
  });
  const run = spawnSync("/usr/bin/python3", [BRIDGE], { input, encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) {
    throw new Error(`django_bridge.py exited ${run.status}: ${run.stderr}`);
  }
  return (JSON.parse(run.stdout) as { results: Record<string, unknown>[] }).results;
}
