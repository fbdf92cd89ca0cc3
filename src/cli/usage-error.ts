/** A command line the CLI cannot run: unknown command or option, wrong number of arguments (exit 2). */

/** Thrown by the parser; the error boundary prints the message and exits with code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** The command whose `--help` the message points to, when known. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}
