/**
 * Parsing one command's arguments with node:util's parseArgs, with this CLI's own usage messages.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.js";

/** The options a command accepts, in parseArgs' form. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** A command's parsed arguments. */
export interface ParsedArgs {
  /** True when `-h`/`--help` was given: nothing else was checked. */
  help: boolean;
  /** Option values by long name: a string, `true` for a flag, or `undefined` when absent. */
  values: Record<string, string | boolean | undefined>;
  /** The positional arguments, exactly as many as the command names. */
  positionals: string[];
}

/**
 * Parses the arguments after the command name against its `options` (`help` among them) and the names of
 * its required positionals (`["username"]`). `--help` anywhere before `--` wins over every other problem,
 * so `portcullis create-token --help` works without a username; otherwise a UsageError (naming `command`)
 * for an unknown option, a missing or unexpected value, or the wrong number of arguments.
 */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  options: OptionSpec,
  names: readonly string[],
): ParsedArgs {
  const parsed = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const values = parsed.values as ParsedArgs["values"];
  const optionTokens = parsed.tokens.filter((t) => t.kind === "option");
  if (optionTokens.some((t) => t.name === "help")) {
    return { help: true, values, positionals: parsed.positionals };
  }
  for (const token of optionTokens) {
    const spec = options[token.name];
    if (spec === undefined) throw new UsageError(`unknown option '${token.rawName}'`, command);
    if (spec.type === "boolean" && token.inlineValue) {
      throw new UsageError(`option '${token.rawName}' takes no value`, command);
    }
    // parseArgs (non-strict) takes the next argument even when it looks like an option: refuse that.
    const value = token.value;
    if (spec.type === "string" && (value === undefined || (!token.inlineValue && /^-./.test(value)))) {
      throw new UsageError(`option '${token.rawName}' needs a value`, command);
    }
  }
  const { positionals } = parsed;
  if (positionals.length < names.length) {
    throw new UsageError(`missing argument <${names[positionals.length]}>`, command);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument '${positionals[names.length]}'`, command);
  }
  return { help: false, values, positionals };
}

/** The value of a string option, by its long name, or `undefined` when absent. */
export function stringOption(values: ParsedArgs["values"], name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}
