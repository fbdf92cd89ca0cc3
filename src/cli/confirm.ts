/** Asking the person at the terminal before a destructive command (`rm --all`). */
import { createInterface } from "node:readline/promises";

/** Whether there is a person to ask: stdin and stderr are both terminals. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/**
 * Asks `question` on stderr and reads one line from stdin: true for `y` or `yes` (any case), false
 * for anything else, an empty line or end of input. Ctrl-C rejects with the signal's reason.
 */
export async function confirm(question: string, signal: AbortSignal): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  const closed = new Promise<string>((resolve) => terminal.once("close", () => resolve("")));
  try {
    const answer = await Promise.race([terminal.question(`${question} [y/N] `, { signal }), closed]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    terminal.close();
  }
}
