/** The worker's code, freshly bundled from src/passwords/hash-worker-entry.ts. */
export function bundle(): Promise<string>;
/** The code the committed src/passwords/hash-worker-source.ts holds. */
export function committed(): string;
