/**
 * Who and what logs a version (issue 20, "Provenance"): host, user, command line, working folder, and
 * the git commit with a dirty flag when the working folder is inside a repository. Never fails a log:
 * whatever cannot be found (no `git`, no user name, a slow repository) is left out.
 */
import { execFile } from "node:child_process";
import { hostname, userInfo } from "node:os";
import type { Provenance } from "../core/types.js";

/** Longest a `git` call may take before its answer is left out. */
const GIT_TIMEOUT_MS = 3000;

/** The provenance of a log made now by this process. */
export async function collectProvenance(cwd: string = process.cwd()): Promise<Provenance> {
  const git = await gitState(cwd);
  return {
    host: hostname(),
    user: userName(),
    command: [...process.argv],
    cwd,
    ...(git ? { git } : {}),
  };
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid with no passwd entry (containers): the environment's name, if any.
    return process.env.USER ?? process.env.USERNAME ?? "unknown";
  }
}

/** HEAD's commit, whether tracked files differ from it, and the branch; undefined outside a repository. */
async function gitState(cwd: string): Promise<Provenance["git"] | undefined> {
  const commit = await git(cwd, ["rev-parse", "--verify", "--quiet", "HEAD"]);
  if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const [status, branch] = await Promise.all([
    git(cwd, ["status", "--porcelain", "--untracked-files=no"]),
    git(cwd, ["symbolic-ref", "--quiet", "--short", "HEAD"]),
  ]);
  if (status === undefined) return undefined;
  return { commit, dirty: status !== "", ...(branch ? { branch } : {}) };
}

/** A git command's trimmed output, or undefined when it fails, is missing or takes too long. */
function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile("git", args, { cwd, timeout: GIT_TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
        resolve(error ? undefined : stdout.toString().trim());
      });
    } catch {
      resolve(undefined);
    }
  });
}
