/**
 * Reading a password from stdin: piped input to the end, or a prompt that does not echo at a terminal.
 */
import { CommandError } from "./errors.js";

/** The part of `process.stdin` this reads. */
export interface PasswordInput extends AsyncIterable<string | Uint8Array> {
  /** True at a terminal. */
  readonly isTTY?: boolean;
  /** Turns terminal echo and line editing off (`true`) and on. */
  setRawMode?(mode: boolean): unknown;
}

/**
 * The password on stdin, possibly empty. Piped: everything up to EOF as UTF-8, less ONE trailing "\n" or
 * "\r\n", so `echo pw |` works and leading, inner and other trailing whitespace is kept. At a terminal: a
 * "Password: " prompt on `prompt` (stderr, so stdout carries only the hash), read in raw mode (nothing
 * echoed) up to Enter. A CommandError for input that is not UTF-8, or Ctrl-C at the prompt.
 */
export async function readPassword(
  stdin: PasswordInput,
  prompt: { write(text: string): unknown },
): Promise<string> {
  if (stdin.isTTY === true && typeof stdin.setRawMode === "function") return promptHidden(stdin, prompt);
  const chunks: Uint8Array[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch (error) {
    throw new CommandError("the password on stdin is not valid UTF-8", { cause: error });
  }
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

async function promptHidden(stdin: PasswordInput, prompt: { write(text: string): unknown }): Promise<string> {
  prompt.write("Password: ");
  stdin.setRawMode?.(true);
  const decoder = new TextDecoder();
  let password = "";
  try {
    for await (const chunk of stdin) {
      const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
      for (const char of text) {
        if (char === "\r" || char === "\n" || char === "\u0004") return password; // Enter, Ctrl-D
        if (char === "\u0003") throw new CommandError("cancelled"); // Ctrl-C: raw mode sends no SIGINT
        if (char === "\u007f" || char === "\b") password = Array.from(password).slice(0, -1).join("");
        else if (char >= " ") password += char;
      }
    }
    return password;
  } finally {
    stdin.setRawMode?.(false);
    prompt.write("\n");
  }
}
