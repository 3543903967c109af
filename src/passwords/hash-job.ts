/**
 * The messages between the library and a hashing worker.
 * @internal
 */

/** One argon2 derivation, with every parameter the stored hash gave. */
export interface Argon2Job {
  kind: "argon2";
  type: "argon2id" | "argon2i" | "argon2d";
  version: 0x10 | 0x13;
  password: Uint8Array;
  salt: Uint8Array;
  t: number;
  m: number;
  p: number;
  dkLen: number;
}

/** One scrypt derivation. */
export interface ScryptJob {
  kind: "scrypt";
  password: Uint8Array;
  salt: Uint8Array;
  N: number;
  r: number;
  p: number;
  dkLen: number;
  maxmem: number;
}

export type HashJob = Argon2Job | ScryptJob;

/** The worker's answer to job `id`: the derived key, or the message of what the hash function threw. */
export type HashReply = { id: number; key: Uint8Array } | { id: number; error: string };
