/**
 * Rows found by a hex digest, for the memory stores.
 * @internal
 */

/**
 * A map from hex digests to rows, keyed by a small integer read from the digest's first seven characters
 * rather than by the digest string. Every lookup brings a digest just computed from a request, a new
 * string, and a `Map` keyed by strings hashes all 64 of its characters before it can look: on Node 20
 * that cost as much as the rest of the lookup. Seven hex digits are 28 bits; rows whose digests share
 * them (rare, and harmless) share a slot, and every answer compares the whole digest.
 *
 * @example
 * ```ts
 * const rows = new DigestMap<{ digest: string; userId: string }>();
 * rows.add({ digest: tokenDigest(token), userId: "1" });
 * rows.get(tokenDigest(token)); // the row
 * ```
 */
export class DigestMap<Row extends { readonly digest: string }> {
  readonly #slots = new Map<number, Row | Row[]>();

  /** The row with exactly this digest. */
  get(digest: string): Row | undefined {
    const found = this.#slots.get(slotOf(digest));
    if (found === undefined) return undefined;
    if (!Array.isArray(found)) return found.digest === digest ? found : undefined;
    return found.find((row) => row.digest === digest);
  }

  /** Adds a row; false (and nothing added) when a row has its digest. */
  add(row: Row): boolean {
    const slot = slotOf(row.digest);
    const found = this.#slots.get(slot);
    if (found === undefined) {
      this.#slots.set(slot, row);
      return true;
    }
    const rows = Array.isArray(found) ? found : [found];
    if (rows.some((other) => other.digest === row.digest)) return false;
    rows.push(row);
    this.#slots.set(slot, rows);
    return true;
  }

  /** Removes the row with this digest; false when there was none. */
  delete(digest: string): boolean {
    const slot = slotOf(digest);
    const found = this.#slots.get(slot);
    if (found === undefined) return false;
    if (!Array.isArray(found)) return found.digest === digest && this.#slots.delete(slot);
    const at = found.findIndex((row) => row.digest === digest);
    if (at === -1) return false;
    found.splice(at, 1);
    if (found.length === 1) this.#slots.set(slot, found[0]!);
    return true;
  }

  /** Removes every row `test` accepts; how many went. */
  deleteWhere(test: (row: Row) => boolean): number {
    let count = 0;
    for (const row of [...this.values()]) if (test(row) && this.delete(row.digest)) count++;
    return count;
  }

  /** Every row, oldest slot first. */
  *values(): IterableIterator<Row> {
    for (const found of this.#slots.values()) {
      if (Array.isArray(found)) yield* found;
      else yield found;
    }
  }
}

// The first seven characters as hex digits, 28 bits: a small integer, which a Map hashes at no cost.
// Any other character (a digest from outside, not hex) still lands in some slot, where the whole
// digest is compared; a shorter string reads NaN past its end, which `& 15` makes 0.
function slotOf(digest: string): number {
  let slot = 0;
  for (let i = 0; i < 7; i++) {
    const code = digest.charCodeAt(i);
    slot = (slot << 4) | ((code & 15) + (code > 0x39 ? 9 : 0));
  }
  return slot & 0xfffffff;
}
