/** Bad input: names, paths, missing artifacts/versions/aliases, download targets. */
import { randomBytes } from "node:crypto";
import { appendFileSync, closeSync, openSync, utimesSync, writeSync } from "node:fs";
import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { expectCode, type SuiteContext } from "./context.js";

export function registerBadInput(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "rejects bad names with INVALID_NAME",
    async () => {
      const m = s.manager();
      const path = await s.file("x.txt", "x");
      for (const collection of ["a/b", "with space", "", "dots.not.allowed"]) {
        await expectCode(m.logFiles("ok", path, { collection }), "INVALID_NAME");
      }
      for (const name of ["", ".hidden", "a/b", "sp ace", "x".repeat(300)]) {
        await expectCode(m.logFiles(name, path, { collection: s.collection() }), "INVALID_NAME");
        await expectCode(m.downloadArtifact(name, { to: s.local() }), "INVALID_NAME");
      }
      expect(() => {
        m.activeCollection = "not/valid";
      }).toThrow(expect.objectContaining({ code: "INVALID_NAME" }));
    },
    timeout,
  );

  // Distinct names: on W&B a name belongs to one type (collection) per project.
  for (const [how, name, change] of [
    ["grows", "grown", (path: string) => appendFileSync(path, "more")],
    ["is rewritten in place at the same size", "rewritten", (path: string) => rewriteFirstByte(path)],
  ] as const) {
    it(
      `a file that ${how} while it is logged → CONFLICT, nothing logged; logging it again works`,
      async () => {
        const m = s.manager();
        const collection = s.collection();
        const path = await s.file("changing.bin", randomBytes(3 * 1024 * 1024));
        // An old modification time, so a change within the same clock tick still shows.
        utimesSync(path, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
        let changed = false;
        const error = (await m
          .logFiles(name, path, {
            collection,
            onProgress: (event) => {
              if (event.type !== "file" || changed) return;
              changed = true;
              change(path);
            },
          })
          .catch((e: unknown) => e)) as { code?: string; message?: string };
        expect(changed).toBe(true);
        expect(error.code).toBe("CONFLICT");
        expect(error.message).toContain("changed while it was being logged");
        expect(await m.existsInCollection(name, collection)).toBe(false);
        await m.logFiles(name, path, { collection });
        expect(await m.existsInCollection(name, collection)).toBe(true);
      },
      timeout,
    );
  }

  it(
    "rejects bad paths with INVALID_ARGUMENT / NOT_FOUND and writes nothing",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const path = await s.file("x.txt", "x");
      for (const artifactPath of ["../x", "/abs/x", "", "a//b", "a/../../b"]) {
        await expectCode(m.logFiles("bad_path", path, { collection, artifactPath }), "INVALID_ARGUMENT");
      }
      await expectCode(
        m.logFiles("bad_path", join(s.local(), "does-not-exist"), { collection }),
        "NOT_FOUND",
      );
      const empty = join(s.local(), `empty-${randomBytes(4).toString("hex")}`);
      await mkdir(empty);
      await expectCode(m.logFiles("bad_path", empty, { collection }), "INVALID_ARGUMENT");
      const escaping = join(s.local(), `escape-${randomBytes(4).toString("hex")}`);
      await mkdir(escaping);
      await writeFile(join(escaping, "inside.txt"), "in");
      await symlink(path, join(escaping, "outside-link.txt"));
      await expectCode(m.logFiles("bad_path", escaping, { collection }), "INVALID_ARGUMENT");
      expect(await m.existsInCollection("bad_path", collection)).toBe(false);
      expect(await m.listArtifacts(collection)).toEqual([]);
    },
    timeout,
  );

  it(
    "missing artifacts, versions and aliases are NOT_FOUND; a download target that is a file is INVALID_ARGUMENT",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const to = join(s.local(), `nf-${randomBytes(4).toString("hex")}`);
      await expectCode(m.downloadArtifact("missing", { collection, to }), "NOT_FOUND");
      await expect(stat(to)).rejects.toThrow();
      await expectCode(m.getVersion("missing", { collection }), "NOT_FOUND");
      await m.logFiles("present", await s.file("p.txt", "p"), { collection });
      await expectCode(m.downloadArtifact("present", { collection, version: "v7", to }), "NOT_FOUND");
      await expectCode(m.downloadArtifact("present", { collection, version: 7, to }), "NOT_FOUND");
      if (s.options.aliases ?? true)
        await expectCode(m.downloadArtifact("present", { collection, version: "nope", to }), "NOT_FOUND");
      await expectCode(m.downloadArtifact("present", { collection, version: -1, to }), "INVALID_ARGUMENT");
      await expectCode(m.downloadArtifact("present", { collection, version: "v01", to }), "INVALID_ARGUMENT");
      const file = await s.file("i-am-a-file.txt", "file");
      await expectCode(m.downloadArtifact("present", { collection, to: file }), "INVALID_ARGUMENT");
      expect(await readFile(file, "utf8")).toBe("file");
      await expectCode(
        m.downloadArtifact("present", { collection, to: join(file, "below") }),
        "INVALID_ARGUMENT",
      );
    },
    timeout,
  );
}

/** Writes a different first byte: same size, new modification time. */
function rewriteFirstByte(path: string): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, Buffer.from([0x5a]), 0, 1, 0);
  } finally {
    closeSync(fd);
  }
}
