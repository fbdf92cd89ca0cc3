/** What ModelLogger accepts as a model, optimizer or scheduler, and how it gets their state. */

import type { StateTree, StateValue } from "../checkpoint/values.js";
import { ArtifactError } from "../errors.js";

/** Anything with a `stateDict()` (sync or async) returning a state tree: a model, optimizer or scheduler. */
export interface StateSource {
  stateDict(): StateTree | Promise<StateTree>;
}

/** A {@link StateSource} or a plain state tree. */
export type Stateful = StateSource | StateTree;

/**
 * A scheduler entry as Lightning/scaffold configure it: `{ scheduler, interval, frequency, … }`. Its
 * other keys are kept, with `scheduler` replaced by the scheduler's state.
 */
export interface SchedulerEntry {
  scheduler: Stateful;
  [key: string]: unknown;
}

function isSource(value: unknown): value is StateSource {
  return (
    typeof value === "object" && value !== null && typeof (value as StateSource).stateDict === "function"
  );
}

/** The state of a model, optimizer or scheduler: `stateDict()` if it has one, else the value itself. */
export async function stateOf(value: Stateful | undefined, what: string): Promise<StateTree> {
  if (value === undefined) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `${what} is undefined: pass an object with stateDict() or a state tree`,
    );
  }
  return isSource(value) ? await value.stateDict() : value;
}

/** The saved form of a scheduler: its state, or its entry with `scheduler` replaced by the state. */
export async function schedulerState(entry: Stateful | SchedulerEntry, what: string): Promise<StateTree> {
  const record = entry as Record<string, unknown>;
  const plain =
    typeof entry === "object" && entry !== null && Object.getPrototypeOf(entry) === Object.prototype;
  if (!plain || !("scheduler" in record) || isSource(entry)) return stateOf(entry as Stateful, what);
  const out: Record<string, StateValue> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] =
      key === "scheduler" ? await stateOf(value as Stateful, `${what}.scheduler`) : (value as StateValue);
  }
  return out;
}
