/**
 * ModelLogger: logs a model's state (with optimizer and scheduler states and extra values) as one
 * PyTorch checkpoint, `state.pt`, in an artifact, and reads it back — the seed's `ModelLogger` in
 * TypeScript. Python's `torch.load` reads what it writes, and it reads what Python scaffold logged.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type LoadCheckpointOptions, loadCheckpoint } from "./checkpoint/load-checkpoint.js";
import { moduleStateDict } from "./checkpoint/module-state-dict.js";
import { saveCheckpoint } from "./checkpoint/save-checkpoint.js";
import { PickledObject, type StateValue } from "./checkpoint/values.js";
import type { Artifact, OperationOptions, VersionSelector } from "./core/types.js";
import { ArtifactError } from "./errors.js";
import type { ArtifactManager } from "./managers/artifact-manager.js";
import { FileSystemArtifactManager } from "./managers/file-system-artifact-manager.js";
import { findStateFile, STATE_FILE } from "./model-logger/find-state-file.js";
import { type SchedulerEntry, type Stateful, schedulerState, stateOf } from "./model-logger/stateful.js";

/** Options of {@link ModelLogger.logStateToArtifact}. */
export interface LogStateOptions extends OperationOptions {
  /** Description of the version. */
  description?: string;
  /** Optimizers (or their state dicts); saved under `optimizer_state_dicts`, in order. @default none */
  optimizers?: Stateful[];
  /** Schedulers, scheduler entries `{ scheduler, … }` or state dicts; saved under `scheduler_state_dicts`. @default none */
  schedulers?: (Stateful | SchedulerEntry)[];
  /** Collection to log into. @default the manager's `activeCollection` */
  collection?: string;
  /** Extra top-level values (`{ epoch: 1, loss: 0.1 }`); must not reuse the reserved keys. */
  extra?: Record<string, StateValue>;
  /** User metadata stored in the version's commit record. */
  metadata?: Record<string, unknown>;
}

/** Options of {@link ModelLogger.retrieveStateFromArtifact}. */
export interface RetrieveStateOptions extends OperationOptions {
  /** Collection to read from. @default the manager's `activeCollection` */
  collection?: string;
  /** Version, alias or `"latest"`. @default "latest" */
  version?: VersionSelector;
  /** Where tensors go. Only `"cpu"` (memory) exists in JavaScript. @default "cpu" */
  device?: string;
  /**
   * Keep a pickled `nn.Module` under `model` as the inert object instead of replacing it by its state
   * dict. @default false
   */
  keepModuleObject?: boolean;
  /** See {@link LoadCheckpointOptions.maxInflateRatio}. @default 16 */
  maxInflateRatio?: number;
  /** See {@link LoadCheckpointOptions.maxPickleWorkRatio}. @default 64 */
  maxPickleWorkRatio?: number;
  /** See {@link LoadCheckpointOptions.maxMaterializeRatio}. @default 16 */
  maxMaterializeRatio?: number;
  /** The most steps turning a pickled `nn.Module` into its state dict may take (`moduleStateDict`'s `maxWork`). @default 1 000 000 */
  maxStateDictWork?: number;
}

/** A retrieved checkpoint: `model` (a state dict), `optimizer_state_dicts`, `scheduler_state_dicts`, extras. */
export interface ModelState {
  model?: StateValue;
  optimizer_state_dicts?: StateValue[];
  scheduler_state_dicts?: StateValue[];
  [key: string]: StateValue | undefined;
}

const RESERVED = new Set(["model", "optimizer_state_dicts", "scheduler_state_dicts"]);

function validateLogOptions(options: LogStateOptions): void {
  for (const key of ["optimizers", "schedulers"] as const) {
    const value = options[key];
    if (value !== undefined && !Array.isArray(value)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected the \`${key}\` option to be an array, got \`${typeof value}\``,
      );
    }
  }
  const extra = options.extra;
  if (
    extra !== undefined &&
    (extra === null || typeof extra !== "object" || Array.isArray(extra) || extra instanceof Map)
  ) {
    throw new ArtifactError("INVALID_ARGUMENT", "Expected the `extra` option to be a plain object of values");
  }
}

/** Logs and retrieves model states as `state.pt` artifacts on any {@link ArtifactManager}. */
export class ModelLogger {
  constructor(readonly manager: ArtifactManager) {
    if (manager === null || typeof manager?.logFolder !== "function") {
      throw new ArtifactError("INVALID_ARGUMENT", "ModelLogger needs an ArtifactManager");
    }
  }

  /** The checkpoint tree scaffold writes: `model`, then optimizer and scheduler states, then extras. */
  async buildState(model: Stateful, options: LogStateOptions = {}): Promise<Record<string, StateValue>> {
    validateLogOptions(options);
    const tree: Record<string, StateValue> = { model: await stateOf(model, "model") };
    if (options.optimizers !== undefined && options.optimizers.length > 0) {
      tree.optimizer_state_dicts = await Promise.all(
        options.optimizers.map((o, i) => stateOf(o, `optimizers[${i}]`)),
      );
    }
    if (options.schedulers !== undefined && options.schedulers.length > 0) {
      tree.scheduler_state_dicts = await Promise.all(
        options.schedulers.map((s, i) => schedulerState(s, `schedulers[${i}]`)),
      );
    }
    for (const [key, value] of Object.entries(options.extra ?? {})) {
      if (RESERVED.has(key))
        throw new ArtifactError("INVALID_ARGUMENT", `\`extra\` must not use the reserved key '${key}'`);
      tree[key] = value;
    }
    return tree;
  }

  /**
   * Saves the model's state (and optimizers', schedulers', extras) as `state.pt` in the next version of
   * `name` and returns that version: at `<name>/state.pt` on file stores (Python scaffold's layout, which
   * scaffold reads with every fsspec version), at the version root on W&B.
   */
  async logStateToArtifact(name: string, model: Stateful, options: LogStateOptions = {}): Promise<Artifact> {
    const tree = await this.buildState(model, options);
    const { signal, onProgress, description, collection, metadata } = options;
    // File stores: `v<N>/<name>/state.pt`, where Python scaffold's own ModelLogger puts it on a local store
    // (its DirectoryLogger logs a folder named after the artifact); a file at the version root is what
    // scaffold with fsspec 2022.11 cannot download. W&B: at the root, as scaffold's W&B backend logs it.
    const folder = this.manager instanceof FileSystemArtifactManager ? name : "";
    const artifact = await this.manager.logFolder(
      name,
      async (dir) => {
        if (folder !== "") await mkdir(join(dir, folder));
        await saveCheckpoint(join(dir, folder, STATE_FILE), tree, signal === undefined ? {} : { signal });
      },
      {
        ...(signal === undefined ? {} : { signal }),
        ...(onProgress === undefined ? {} : { onProgress }),
        ...(description === undefined ? {} : { description }),
        ...(collection === undefined ? {} : { collection }),
        ...(metadata === undefined ? {} : { metadata }),
      },
    );
    if (artifact === null) throw new ArtifactError("UNEXPECTED", `nothing was logged for '${name}'`);
    return artifact;
  }

  /**
   * Downloads a version of `name` and reads its `state.pt` (at the version root, or inside a single
   * top-level folder as Python scaffold stores it on local disks). A pickled `nn.Module` under `model`
   * is replaced by its state dict (same keys as PyTorch's `state_dict()`).
   */
  async retrieveStateFromArtifact(name: string, options: RetrieveStateOptions = {}): Promise<ModelState> {
    const { signal, onProgress, collection, version } = options;
    if (options.device !== undefined && options.device !== "cpu") {
      throw new ArtifactError("INVALID_ARGUMENT", `device '${options.device}' is not available: use "cpu"`);
    }
    await using tmp = await this.manager.downloadArtifact(name, {
      ...(signal === undefined ? {} : { signal }),
      ...(onProgress === undefined ? {} : { onProgress }),
      ...(collection === undefined ? {} : { collection }),
      ...(version === undefined ? {} : { version }),
    });
    const file = await findStateFile(tmp.path, name);
    const load: LoadCheckpointOptions = signal === undefined ? {} : { signal };
    for (const key of ["maxInflateRatio", "maxPickleWorkRatio", "maxMaterializeRatio"] as const) {
      if (options[key] !== undefined) load[key] = options[key];
    }
    const state = await loadCheckpoint(file, load);
    if (state === null || typeof state !== "object" || state instanceof Map || Array.isArray(state)) {
      throw new ArtifactError(
        "CHECKPOINT_INVALID",
        `${STATE_FILE} of '${name}' does not hold a dict of states`,
      );
    }
    const out = state as ModelState;
    if (out.model instanceof PickledObject && options.keepModuleObject !== true) {
      const maxWork = options.maxStateDictWork;
      out.model = moduleStateDict(out.model, maxWork === undefined ? {} : { maxWork });
    }
    return out;
  }
}

export type { SchedulerEntry, Stateful, StateSource } from "./model-logger/stateful.js";
