/** `moduleStateDict`: the `state_dict()` of a pickled `nn.Module`, computed from its inert state. */
import { ArtifactError } from "../errors.js";
import { Tensor } from "./tensor.js";
import { orderedDict, PickledObject, type StateValue } from "./values.js";

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

function collect(module: PickledObject, prefix: string, out: Record<string, StateValue>): void {
  const state = stateOf(module, prefix);
  if (!("_parameters" in state) || !("_modules" in state)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `'${module.className}' has no _parameters/_modules: not an nn.Module`,
    );
  }
  for (const [name, p] of entriesOf(state._parameters)) {
    if (p instanceof Tensor) out[prefix + String(name)] = p;
  }
  const nonPersistent = state._non_persistent_buffers_set;
  for (const [name, b] of entriesOf(state._buffers)) {
    if (!(b instanceof Tensor)) continue;
    if (nonPersistent instanceof Set && nonPersistent.has(name)) continue;
    out[prefix + String(name)] = b;
  }
  for (const [name, child] of entriesOf(state._modules)) {
    if (child instanceof PickledObject) collect(child, `${prefix}${String(name)}.`, out);
  }
}

/**
 * The state dict of a pickled `nn.Module` (as loaded by {@link loadCheckpoint}): the same keys in the
 * same order as PyTorch's `module.state_dict()` — parameters, persistent buffers, then submodules with
 * `name.` prefixes. Returns an ordered dict of the module's tensors (shared, not copied). A plain state
 * dict (not a module) is returned unchanged. Anything else → `INVALID_ARGUMENT`.
 */
export function moduleStateDict(module: StateValue): Record<string, StateValue> {
  if (!(module instanceof PickledObject)) {
    if (module !== null && typeof module === "object" && !Array.isArray(module) && !(module instanceof Map)) {
      if (Object.values(module).every((v) => v instanceof Tensor)) return module as Record<string, Tensor>;
    }
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      "moduleStateDict expects a pickled nn.Module or a state dict",
    );
  }
  const out: Record<string, StateValue> = Object.create(Object.prototype);
  collect(module, "", out);
  return orderedDict(out);
}
