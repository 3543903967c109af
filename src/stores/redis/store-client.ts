/**
 * What every Redis store is built on: its key prefix, the check of the server at start-up, and commands
 * sent so that a connection error becomes StoreUnavailable.
 * @internal
 */
import { StoreUnavailable } from "../../core/errors.js";
import {
  DEFAULT_PREFIX,
  isConnectionError,
  type RedisClient,
  type RedisStoreOptions,
  Script,
} from "./client.js";
import { checkServerOnce } from "./durability.js";

/**
 * What a Redis store is built on: the client, the key prefix, and its name for StoreUnavailable. The first
 * store built on a client starts the check of the server's settings. @internal
 */
export class StoreClient {
  readonly prefix: string;
  readonly #client: RedisClient;
  readonly #store: string;

  constructor(options: RedisStoreOptions, store: string) {
    this.#client = options.client;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#store = store;
    checkServerOnce(this.#client, options.events);
  }

  /** `<prefix><kind>:<id>`: a row (`token:<digest>`) or an index (`token-user:<userId>`). */
  key(kind: string, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }

  /**
   * Sends commands: a connection error becomes {@link StoreUnavailable} with the client's error as
   * `cause`; anything else (a bug, a `WRONGTYPE` key) is rethrown unchanged.
   */
  async send<T>(commands: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await commands(this.#client);
    } catch (error) {
      if (isConnectionError(error)) throw new StoreUnavailable(this.#store, { cause: error });
      throw error;
    }
  }

  /** Runs a script, as {@link StoreClient.send} sends a command. */
  run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.send((client) => script.run(client, keys, args));
  }

  /** Deletes a row of `kind` (`"token"`, `"session"`) and its entry in its owner's index, in one step. */
  async deleteRow(kind: string, id: string): Promise<boolean> {
    return (await this.run(DELETE_ROW, [this.prefix, this.key(kind, id)], [id, kind])) === 1;
  }

  /** Deletes every row of `kind` of a user, and the user's index; how many rows went. */
  async deleteRowsForUser(kind: string, userId: string): Promise<number> {
    const index = this.key(`${kind}-user`, userId);
    return Number(await this.run(DELETE_ROWS_FOR_USER, [this.prefix, index], [userId, kind]));
  }
}

// KEYS: prefix, row. ARGV: digest, kind.
const DELETE_ROW = new Script(`
local user = redis.call('HGET', KEYS[2], 'userId')
if not user then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1] .. ARGV[2] .. '-user:' .. user, ARGV[1])
return 1
`);

// KEYS: prefix, index. ARGV: userId, kind.
const DELETE_ROWS_FOR_USER = new Script(`
local count = 0
for _, digest in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local row = KEYS[1] .. ARGV[2] .. ':' .. digest
  if redis.call('HGET', row, 'userId') == ARGV[1] then
    redis.call('DEL', row)
    count = count + 1
  end
end
redis.call('DEL', KEYS[2])
return count
`);
