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
  // Refresh tokens this process is rotating now. A second refresh of one of them, arriving while the
  // first runs, lost a race (a client firing its refresh twice); it is refused without revoking the
  // family, so the winner's new token stays usable. One that arrives after the rotation is a replay.
  readonly #rotating = new Set<string>();

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
   * Marks `token` as being rotated by this caller; false when another refresh of it is already running
   * in this process (call {@link TokenLedger.end} only after a true).
   */
  begin(token: string): boolean {
    if (this.#rotating.has(token)) return false;
    this.#rotating.add(token);
    return true;
  }

  /** The rotation of `token` that {@link TokenLedger.begin} admitted is over. */
  end(token: string): void {
    this.#rotating.delete(token);
  }

  /**
   * Uses up a refresh token that is being rotated: exactly one caller gets past `consume`. A token that
   * was already consumed (or revoked) is a replay: its whole family is revoked (RFC 9700 §4.14.2).
   *
   * @throws InvalidToken "Token is blacklisted" for a replayed or revoked token
   */
  async rotate(claims: Claims): Promise<void> {
    const jti = claims[this.#s.jtiClaim] as string;
    const expiresAt = this.expiry(claims);
    if (!(await this.#store.consume(jti, expiresAt))) {
      // Its family; a token without one rooted the family its rotation started, under its own jti.
      await this.#store.revokeFamily(this.lineage(claims));
      throw new InvalidToken("Token is blacklisted");
    }
    if (this.#s.blacklistAfterRotation) await this.#store.revoke(jti, expiresAt);
  }

  /** Blacklists a refresh token; with `checkRevokedAccess`, the access tokens minted from it too. */
  async blacklist(claims: Claims): Promise<void> {
    await this.revoke(claims);
    if (this.#s.checkRevokedAccess) await this.#store.revokeFamily(this.lineage(claims));
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
