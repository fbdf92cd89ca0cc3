/**
 * Debian's chromium driven by playwright-core (no browser download). A missing chromium fails the
 * test with the command that installs it; it is never a skip.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** The system chromium's path, or an Error naming how to install it. */
export function chromiumPath(): string {
  for (const candidate of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  try {
    const found = execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], {
      encoding: "utf8",
    }).trim();
    if (found !== "") return found;
  } catch {
    // not on PATH either
  }
  throw new Error(
    "the browser tests need Debian's chromium and it is not installed: run `apt-get install chromium` (CI's .ci/run installs it), or set CHROMIUM_PATH",
  );
}

/** Launches the system chromium headless (as root, so without its sandbox). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"], headless: true });
}
