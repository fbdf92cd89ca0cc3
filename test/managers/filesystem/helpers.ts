/** Shared helpers of the filesystem manager tests: temp stores, a Python scaffold runner, tree listing. */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Python with fsspec (Debian python3-fsspec). */
export const PYTHON = "/usr/bin/python3";
/** The script that does what scaffold's FileSystemArtifactManager does. */
export const SCAFFOLD_SCRIPT = fileURLToPath(
  new URL("../../fixtures/filesystem/scaffold_fs.py", import.meta.url),
);

/** Runs the scaffold emulation and parses its JSON output. */
export async function scaffold(...args: string[]): Promise<unknown> {
  const { stdout } = await run(PYTHON, [SCAFFOLD_SCRIPT, ...args]);
  return JSON.parse(stdout);
}

/** A fresh temp folder and its removal. */
export async function tempFolder(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Every file under `root`, as sorted relative POSIX paths. */
export async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/** Makes the folder `parent/name` with `count` random files `f0.bin`, `f1.bin`… of `size` bytes each. */
export async function randomFiles(
  parent: string,
  name: string,
  count: number,
  size: number,
): Promise<string> {
  const path = join(parent, name);
  await mkdir(path);
  for (let i = 0; i < count; i++) await writeFile(join(path, `f${i}.bin`), randomBytes(size));
  return path;
}
