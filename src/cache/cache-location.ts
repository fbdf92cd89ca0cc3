/** Where the download cache lives when nobody says: `$ARTIFACTS_CACHE_DIR`, else the platform's cache folder. */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** The cache's own folder name inside the platform cache folder. */
const CACHE_NAME = "artifact-manager";

/**
 * The default cache folder: `$ARTIFACTS_CACHE_DIR` when set; else `$XDG_CACHE_HOME/artifact-manager`
 * or `~/.cache/artifact-manager` (Linux and other Unixes), `~/Library/Caches/artifact-manager`
 * (macOS), `%LOCALAPPDATA%\artifact-manager\Cache` (Windows).
 */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const explicit = env.ARTIFACTS_CACHE_DIR;
  if (explicit !== undefined && explicit !== "") return explicit;
  if (platform === "darwin") return join(home, "Library", "Caches", CACHE_NAME);
  if (platform === "win32") {
    const local = env.LOCALAPPDATA;
    return join(
      local !== undefined && local !== "" ? local : join(home, "AppData", "Local"),
      CACHE_NAME,
      "Cache",
    );
  }
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, ".cache"), CACHE_NAME);
}
