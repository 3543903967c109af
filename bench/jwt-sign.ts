/**
 * JWT signing: portcullis `jwt.obtainPair({ id })` (a refresh and an access token) against fast-jwt's
 * signer producing the same two claim sets, with the same key.
 */
import { randomUUID } from "node:crypto";
import { createSigner, createVerifier } from "fast-jwt";
import { JWTService } from "../src/index.js";
import type { Contender } from "./interleave.js";
import { type BenchAlgorithm, benchKey } from "./jwt-keys.js";

/** simplejwt's defaults: access 5 minutes, refresh 1 day. */
const ACCESS_SECONDS = 300;
const REFRESH_SECONDS = 86_400;
const USER = { id: "1" };

/** The two contenders for `algorithm`, checked to produce tokens the other side accepts. */
export async function signContenders(
  algorithm: BenchAlgorithm,
): Promise<{ portcullis: Contender; fastJwt: Contender }> {
  const key = await benchKey(algorithm);
  const jwt = new JWTService({
    algorithm,
    signingKey: key.signing,
    ...(algorithm === "HS256" ? {} : { verifyingKey: key.verifying }),
  });
  const sign = createSigner({ key: key.signing, algorithm });
  // simplejwt's claim sets, in its order; jti as uuid4().hex (32 lowercase hex characters).
  const fastJwtPair = () => {
    const at = Math.floor(Date.now() / 1000);
    const user_id = USER.id;
    const refresh = sign({
      token_type: "refresh",
      exp: at + REFRESH_SECONDS,
      iat: at,
      jti: randomUUID().replaceAll("-", ""),
      user_id,
    });
    const access = sign({
      token_type: "access",
      exp: at + ACCESS_SECONDS,
      iat: at,
      jti: randomUUID().replaceAll("-", ""),
      user_id,
    });
    return Promise.resolve({ access, refresh });
  };
  const portcullis: Contender = {
    name: "portcullis jwt.obtainPair({ id })",
    run: () => jwt.obtainPair(USER),
  };
  const fastJwt: Contender = { name: "fast-jwt createSigner, access + refresh claims", run: fastJwtPair };

  // Each side's pair is accepted by the other, with the same claim names and types.
  const verify = createVerifier({ key: key.verifying, algorithms: [algorithm], cache: false });
  const mine = await jwt.obtainPair(USER);
  const theirs = await fastJwtPair();
  const shape = (claims: Record<string, unknown>) =>
    Object.entries(claims)
      .map(([name, value]) => `${name}:${typeof value}`)
      .sort()
      .join(",");
  for (const type of ["access", "refresh"] as const) {
    const fromPortcullis = verify(mine[type]) as Record<string, unknown>;
    const fromFastJwt = await jwt.validate(theirs[type], type);
    if (shape(fromPortcullis) !== shape(fromFastJwt) || fromFastJwt.token_type !== type) {
      throw new Error(`${algorithm} ${type}: the two signers wrote different claim sets`);
    }
  }
  return { portcullis, fastJwt };
}
