/**
 * The savepoint statements both prepared drivers send, as Kysely's own drivers do.
 * @internal
 */
import { CompiledQuery, type DatabaseConnection } from "kysely";

/** Kysely's `Driver` savepoint methods, for the prepared drivers to extend. @internal */
export abstract class SavepointDriver {
  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepoint("savepoint", name));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepoint("rollback to", name));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepoint("release", name));
  }
}

function savepoint(command: string, name: string): CompiledQuery {
  return CompiledQuery.raw(`${command} "${name.replaceAll('"', '""')}"`);
}
