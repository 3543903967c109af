/**
 * What the token service writes to its RevocationStore: issued tokens, rotation with reuse detection,
 * blacklisting, and (with `checkRevokedAccess`) access tokens, so that logout reaches them.
 * @internal
 */
import type { RevocationStore } from "../stores/types.js";
import { FAMILY_CLAIM } from "./claims.js";
import { InvalidToken } from "./errors.js";
import type { ResolvedJWTSettings } from "./settings.js";

type Claims = Record<string, unknown>;

/** The service's bookkeeping over one RevocationStore. */
export class TokenLedger {
  readonly #store: RevocationStore;
  readonly #s: ResolvedJWTSettings;

  constructor(store: RevocationStore, settings: ResolvedJWTSettings) {
    this.#store = store;
    this.#s = settings;
  }

  /** Records an issued refresh or sliding token (simplejwt's `OutstandingToken`), in its own family. */
  record(claims: Claims): Promise<void> {
    const family = claims[FAMILY_CLAIM];
    return this.#record(claims, typeof family === "string" ? family : null);
  }

  /**
   * With `checkRevokedAccess`, records an access token minted from `refresh`, in the refresh token's
   * lineage: revoking that family, the user, or blacklisting the refresh token (logout) revokes it too.
   */
  recordAccess(access: Claims, refresh: Claims): Promise<void> {
    if (!this.#s.checkRevokedAccess) return Promise.resolve();
    return this.#record(access, this.lineage(refresh));
  }

  /**
   * Uses up a refresh token that is being rotated: exactly one caller, in any process, gets past
   * `consume`. The others are refused; of those, a token rotated more than `reuseGraceSeconds` ago is a
   * replay and its whole family is revoked (RFC 9700 §4.14.2), one rotated within it is a duplicate of
   * the winner's request (two tabs, a retry) and revokes nothing, and a blacklisted one that was never
   * rotated is merely refused.
   *
   * @throws InvalidToken "Token is blacklisted" for a replayed, duplicate or revoked token
   */
  async rotate(claims: Claims): Promise<void> {
    const jti = claims[this.#s.jtiClaim] as string;
    const expiresAt = this.expiry(claims);
    if (await this.#store.consume(jti, expiresAt)) {
      if (this.#s.blacklistAfterRotation) await this.#store.revoke(jti, expiresAt);
      return;
    }
    const consumedAt = await this.#store.consumedAt(jti);
    if (consumedAt !== null && !this.#withinGrace(consumedAt)) {
      // Its family; a token without one rooted the family its rotation started, under its own jti.
      await this.#store.revokeFamily(this.lineage(claims));
    }
    throw new InvalidToken("Token is blacklisted");
  }

  /**
   * For a refresh refused for its user: the "blacklisted" verdict comes first, so a token already
   * rotated or revoked is refused as {@link TokenLedger.rotate} refuses it (a replay revokes its
   * family); an unused one is left unused.
   *
   * @throws InvalidToken "Token is blacklisted" for a rotated or revoked token
   */
  async refuseIfUsed(claims: Claims): Promise<void> {
    const jti = claims[this.#s.jtiClaim] as string;
    if ((await this.#store.isRevoked(jti)) || (await this.#store.consumedAt(jti)) !== null) {
      await this.rotate(claims); // consume answers false for it: the refusal, and the family if a replay
    }
  }

  /**
   * Blacklists a refresh token (logout); with `checkRevokedAccess`, the access tokens minted from it too.
   * With reuse detection, the token is consumed first, so a logout and a refresh of the same token
   * racing each other have exactly one winner, and its whole family is revoked: a token that was already
   * rotated is reuse (a thief may hold its successor), whenever it was rotated.
   *
   * @throws InvalidToken "Token is blacklisted" for a token already blacklisted or already rotated
   */
  async blacklist(claims: Claims): Promise<void> {
    if (!this.#s.rotateRefreshTokens) {
      await this.revoke(claims);
      if (this.#s.checkRevokedAccess) await this.#store.revokeFamily(this.lineage(claims));
      return;
    }
    const jti = claims[this.#s.jtiClaim] as string;
    const expiresAt = this.expiry(claims);
    const won = await this.#store.consume(jti, expiresAt);
    const rotated = !won && (await this.#store.consumedAt(jti)) !== null;
    if (!won && !rotated) throw new InvalidToken("Token is blacklisted"); // blacklisted before
    await this.#store.revokeFamily(this.lineage(claims));
    await this.#store.revoke(jti, expiresAt);
    if (rotated) throw new InvalidToken("Token is blacklisted");
  }

  /** Revokes one token (a refresh token refused after a password change). */
  async revoke(claims: Claims): Promise<void> {
    await this.#store.revoke(claims[this.#s.jtiClaim] as string, this.expiry(claims));
  }

  /**
   * When a row may go: the moment the verifier stops accepting the token, its `exp` plus the leeway, or
   * a flush could forget a token still accepted.
   */
  expiry(claims: Claims): Date {
    return new Date(((claims.exp as number) + this.#s.leeway) * 1000);
  }

  /**
   * A refresh token's lineage: its rotation family, or without one (minted by Django, or before reuse
   * detection was on) the token's own jti, the family its rotation starts.
   */
  lineage(refresh: Claims): string {
    const family = refresh[FAMILY_CLAIM];
    return typeof family === "string" ? family : (refresh[this.#s.jtiClaim] as string);
  }

  // The store's clock against this one's: a skew between them shifts the window by as much.
  #withinGrace(consumedAt: Date): boolean {
    const grace = this.#s.reuseGraceSeconds * 1000;
    return grace > 0 && Date.now() - consumedAt.getTime() < grace;
  }

  #record(claims: Claims, familyId: string | null): Promise<void> {
    const userId = claims[this.#s.userIdClaim];
    return this.#store.recordOutstanding({
      jti: claims[this.#s.jtiClaim] as string,
      userId: userId === undefined || userId === null ? null : String(userId),
      familyId,
      expiresAt: this.expiry(claims),
    });
  }
}
