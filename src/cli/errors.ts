/**
 * The two ways a command fails, and their exit codes.
 */

/**
 * The command line itself is wrong (no command, unknown option, missing argument): exit 2, with the usage.
 *
 * @example
 * ```ts
 * throw new UsageError("missing argument <username>", "create-token");
 * ```
 */
export class UsageError extends Error {
  /** The command whose usage to show, or `null` for the general usage. */
  readonly command: string | null;

  /**
   * @param message - what is wrong, without the "Error: " prefix
   * @param command - the command whose usage to show, or `null`
   */
  constructor(message: string, command: string | null) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/**
 * The command ran and could not do its work (DRF's `CommandError`): exit 1, `Error: <message>` on stderr.
 *
 * @example
 * ```ts
 * throw new CommandError(`Cannot create the Token: user ${username} does not exist`);
 * ```
 * @see https://docs.djangoproject.com/en/stable/howto/custom-management-commands/#django.core.management.CommandError
 */
export class CommandError extends Error {
  /**
   * @param message - shown after "Error: "
   * @param options - the underlying error as `cause`
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CommandError";
  }
}
