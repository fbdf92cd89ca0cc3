/**
 * prune and deleteArtifact are written once on the ArtifactManager base class: a backend that
 * implements only the listing calls and deleteVersion (as W&B does) gets them. A small in-memory
 * backend here records every call, so the test also shows that they use nothing else.
 */
import { describe, expect, it } from "vitest";
import type { DeletedVersion, DeleteVersionOptions } from "../../src/core/lifecycle.js";
import type { ListOptions, VersionOptions, VersionRecord } from "../../src/core/types.js";
import { ArtifactError } from "../../src/errors.js";
import { ArtifactManager } from "../../src/managers/artifact-manager.js";

const unused = (call: string) => () => Promise.reject(new Error(`prune must not call ${call}`));

/** Versions `v0…` of one artifact, each with one file of 10 × (N + 1) bytes, created N days ago. */
class ListOnlyManager extends ArtifactManager {
  readonly calls: string[] = [];
  versions: number[];
  aliases: Record<string, string>;
  readonly count: number;

  constructor(count: number, aliases: Record<string, string> = {}) {
    super();
    this.count = count;
    this.versions = Array.from({ length: count }, (_, n) => n);
    this.aliases = aliases;
  }

  logFiles = unused("logFiles");
  protected downloadTo = unused("downloadTo");
  listCollectionNames = unused("listCollectionNames");
  existsInCollection = unused("existsInCollection");
  verify = unused("verify");
  setAlias = unused("setAlias");
  removeAlias = unused("removeAlias");

  async listArtifacts(): Promise<string[]> {
    this.calls.push("listArtifacts");
    return ["model"];
  }

  async listVersions(_name: string, _options?: ListOptions): Promise<string[]> {
    this.calls.push("listVersions");
    return this.versions.map((n) => `v${n}`);
  }

  async listAliases(): Promise<Record<string, string>> {
    this.calls.push("listAliases");
    return { ...this.aliases };
  }

  async getVersion(name: string, options: VersionOptions = {}): Promise<VersionRecord> {
    this.calls.push(`getVersion ${options.version}`);
    const n = Number(String(options.version).slice(1));
    if (!this.versions.includes(n)) throw new ArtifactError("NOT_FOUND", `no ${options.version}`);
    const days = this.count - 1 - n;
    return {
      format: 1,
      name,
      collection: "default",
      version: `v${n}`,
      createdAt: new Date(Date.now() - days * 86_400_000).toISOString(),
      files: [{ path: "f", size: 10 * (n + 1) }],
    };
  }

  async deleteVersion(name: string, options: DeleteVersionOptions): Promise<DeletedVersion> {
    this.calls.push(`deleteVersion ${options.version}${options.force ? " force" : ""}`);
    const version = String(options.version);
    const n = Number(version.slice(1));
    const aliases = Object.keys(this.aliases).filter((a) => this.aliases[a] === version);
    if (aliases.length > 0 && !options.force) throw new ArtifactError("CONFLICT", "aliased");
    for (const alias of aliases) delete this.aliases[alias];
    this.versions = this.versions.filter((v) => v !== n);
    return { name, collection: "default", version, aliases, files: 1, bytes: 10 * (n + 1) };
  }
}

describe("prune and deleteArtifact on a backend with only listings and deleteVersion", () => {
  it("prune keeps the newest, the aliased and the young; reports the bytes of what it deleted", async () => {
    const manager = new ListOnlyManager(6, { production: "v1" });
    const result = await manager.prune("model", { keepLast: 2, keepAliased: true, olderThan: "60h" });
    expect(result.removed.map((v) => v.version)).toEqual(["v0", "v2"]);
    expect(result.bytes).toBe(10 + 30);
    expect(result.kept.map((k) => `${k.version}:${k.reason}`)).toEqual([
      "v1:aliased",
      "v3:newer",
      "v4:keep-last",
      "v5:keep-last",
    ]);
    expect(manager.versions).toEqual([1, 3, 4, 5]);
    expect(new Set(manager.calls.map((call) => call.split(" ")[0]))).toEqual(
      new Set(["listVersions", "listAliases", "getVersion", "deleteVersion"]),
    );
    expect(manager.calls.filter((call) => call.startsWith("deleteVersion"))).toEqual([
      "deleteVersion v0",
      "deleteVersion v2",
    ]);
  });

  it("without keepAliased an aliased version goes with force; a dry run deletes nothing", async () => {
    const manager = new ListOnlyManager(3, { best: "v0" });
    const dry = await manager.prune({ all: true }, { keepLast: 1, dryRun: true });
    expect(dry.removed).toMatchObject([
      { version: "v0", aliases: ["best"] },
      { version: "v1", aliases: [] },
    ]);
    expect(manager.versions).toEqual([0, 1, 2]);
    const done = await manager.prune({ all: true }, { keepLast: 1 });
    expect(done.removed.map((v) => v.version)).toEqual(["v0", "v1"]);
    expect(manager.calls).toContain("deleteVersion v0 force");
    expect(manager.aliases).toEqual({});
  });

  it("deleteArtifact refuses aliases before deleting anything, then deletes lowest first with force", async () => {
    const manager = new ListOnlyManager(3, { best: "v2" });
    await expect(manager.deleteArtifact("model")).rejects.toMatchObject({ code: "CONFLICT" });
    expect(manager.versions).toEqual([0, 1, 2]);
    const result = await manager.deleteArtifact("model", { force: true });
    expect(result.versions.map((v) => v.version)).toEqual(["v0", "v1", "v2"]);
    expect(result.bytes).toBe(60);
    expect(manager.versions).toEqual([]);
  });
});
