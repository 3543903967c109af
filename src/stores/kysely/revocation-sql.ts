/**
 * The SQL fragments of the Kysely revocation store: the row an unrecorded jti starts as, the later of
 * two expiries on conflict, and `select 1` for EXISTS subqueries.
 * @internal
 */
import { type AliasedRawBuilder, type ExpressionBuilder, type RawBuilder, sql } from "kysely";

/**
 * The expression builder of a query on tables named at run time. Subqueries go through it (not through
 * raw `sql`), so a `db.withSchema(…)` instance qualifies their tables too.
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's spelling for tables it cannot know statically.
export type Builder = ExpressionBuilder<any, any>;

/** `select 1` for EXISTS subqueries. */
export const one: AliasedRawBuilder<number, "one"> = sql.lit(1).as("one");

/** The later of the conflicting row's `expires_at` and the one being inserted. */
export function later(table: string): RawBuilder<number> {
  const current = sql.ref(`${table}.expires_at`);
  return sql<number>`case when excluded.expires_at > ${current} then excluded.expires_at else ${current} end`;
}

/**
 * A row for a jti revoked or consumed before it was recorded: no owner, no family, not recorded.
 * `consumedAt` (epoch ms) marks it consumed then.
 */
export function unrecorded(
  jti: string,
  expiresAt: number,
  flags: { revoked?: 1; consumedAt?: number },
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    jti,
    user_id: null,
    family_id: null,
    expires_at: expiresAt,
    recorded: 0,
    revoked: flags.revoked ?? 0,
    consumed: flags.consumedAt === undefined ? 0 : 1,
  };
  if (flags.consumedAt !== undefined) row.consumed_at = flags.consumedAt;
  return row;
}
