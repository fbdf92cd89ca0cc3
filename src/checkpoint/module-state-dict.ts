/** `moduleStateDict`: the `state_dict()` of a pickled `nn.Module`, computed from its inert state. */
import { ArtifactError } from "../errors.js";
import { invalidCheckpoint } from "./invalid.js";
import { Tensor } from "./tensor.js";
import { needsMapKey, orderedDict, PickledObject, type StateDict, type StateValue } from "./values.js";

function entriesOf(value: StateValue | undefined): [StateValue, StateValue][] {
  if (value instanceof Map) return [...value.entries()];
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Tensor)) {
    return Object.entries(value as Record<string, StateValue>);
  }
  return [];
}

function stateOf(module: PickledObject, prefix: string): Record<string, StateValue> {
  const state = module.state;
  if (state === null || typeof state !== "object" || state instanceof Map || Array.isArray(state)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `'${prefix || module.className}' is not an nn.Module: its pickled state is not an attribute dict`,
    );
  }
  return state as Record<string, StateValue>;
}

/**
 * The most work (modules walked + keys produced) {@link moduleStateDict} does. A submodule reached under
 * several names (tied modules) is walked under each, as PyTorch's `state_dict()` does, so a small file
 * sharing submodules level after level could otherwise take exponential time and memory.
 */
export const MAX_STATE_DICT_WORK = 1_000_000;

/** Options of {@link moduleStateDict}. */
export interface ModuleStateDictOptions {
  /** The most steps (modules walked + keys produced) the walk may take. @default MAX_STATE_DICT_WORK (1 000 000) */
  maxWork?: number;
}

/** Walks the module tree depth-first, refusing cycles and runaway expansion. */
class Collector {
  readonly open = new Set<PickledObject>();
  readonly out: [string, Tensor][] = [];
  work = 0;
  constructor(readonly maxWork: number) {}

  count(): void {
    if (++this.work > this.maxWork) {
      throw invalidCheckpoint(
        `the module's state dict takes more than ${this.maxWork} steps (submodules shared many times over); raise the \`maxWork\` option (ModelLogger: \`maxStateDictWork\`) if the file is trusted`,
      );
    }
  }

  collect(module: PickledObject, prefix: string): void {
    if (this.open.has(module))
      throw invalidCheckpoint(`module '${prefix.slice(0, -1)}' contains itself (a cycle of submodules)`);
    this.count();
    this.open.add(module);
    const state = stateOf(module, prefix);
    if (!("_parameters" in state) || !("_modules" in state)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `'${module.className}' has no _parameters/_modules: not an nn.Module`,
      );
    }
    for (const [name, p] of entriesOf(state._parameters)) {
      if (p instanceof Tensor) this.add(prefix + String(name), p);
    }
    const nonPersistent = state._non_persistent_buffers_set;
    for (const [name, b] of entriesOf(state._buffers)) {
      if (!(b instanceof Tensor)) continue;
      if (nonPersistent instanceof Set && nonPersistent.has(name)) continue;
      this.add(prefix + String(name), b);
    }
    for (const [name, child] of entriesOf(state._modules)) {
      if (child instanceof PickledObject) this.collect(child, `${prefix}${String(name)}.`);
    }
    this.open.delete(module);
  }

  add(key: string, t: Tensor): void {
    this.count();
    this.out.push([key, t]);
  }
}

/**
 * The state dict of a pickled `nn.Module` (as loaded by {@link loadCheckpoint}): the same keys in the
 * same order as PyTorch's `module.state_dict()` — parameters, persistent buffers, then submodules with
 * `name.` prefixes. Returns an ordered dict of the module's tensors (shared, not copied): a plain object,
 * or a `Map` when a key would be reordered or mishandled as a property (`"0"`, `"__proto__"`). A plain state
 * dict (not a module) is returned unchanged. Anything else → `INVALID_ARGUMENT`. A module that contains
 * itself, or a tree of shared submodules taking more than `maxWork` steps to walk,
 * → `CHECKPOINT_INVALID`.
 */
export function moduleStateDict(module: StateValue, options: ModuleStateDictOptions = {}): StateDict {
  const maxWork = options.maxWork ?? MAX_STATE_DICT_WORK;
  if (typeof maxWork !== "number" || !(maxWork >= 0)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`maxWork\` option to be a non-negative number, got \`${String(maxWork)}\``,
    );
  }
  if (!(module instanceof PickledObject)) {
    if (module instanceof Map && [...module.values()].every((v) => v instanceof Tensor)) return module;
    if (module !== null && typeof module === "object" && !Array.isArray(module) && !(module instanceof Map)) {
      if (Object.values(module).every((v) => v instanceof Tensor)) return module as Record<string, Tensor>;
    }
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      "moduleStateDict expects a pickled nn.Module or a state dict",
    );
  }
  const collector = new Collector(maxWork);
  collector.collect(module, "");
  // A key JavaScript would reorder ("0", "10": a ParameterList's) or mishandle ("__proto__") → a Map,
  // as the loader does for dicts, so the order stays PyTorch's.
  if (collector.out.some(([key]) => needsMapKey(key)))
    return orderedDict(new Map<StateValue, StateValue>(collector.out));
  const out: Record<string, StateValue> = {};
  for (const [key, t] of collector.out) out[key] = t;
  return orderedDict(out);
}
