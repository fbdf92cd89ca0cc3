/**
 * TensorFlow.js adapter for ModelLogger: turns a tfjs `LayersModel` and its optimizer into state trees
 * and restores them. `@tensorflow/tfjs` is an optional peer dependency: it is loaded only when a
 * restore needs to create tensors and no `tf` namespace is passed (pass `tf` for `@tensorflow/tfjs-node`).
 */
import { isDType } from "../checkpoint/dtype.js";
import { Tensor } from "../checkpoint/tensor.js";
import { orderedDict, type StateTree, type StateValue } from "../checkpoint/values.js";
import { ArtifactError } from "../errors.js";
import type { StateSource } from "./stateful.js";

type TfData = Float32Array | Int32Array | Uint8Array;

/** The part of a tfjs tensor the adapter uses. */
export interface TfTensorLike {
  readonly shape: number[];
  readonly dtype: string;
  data(): Promise<unknown>;
}

/** The part of a tfjs `LayerVariable` the adapter uses. */
export interface TfVariableLike {
  readonly name: string;
  readonly originalName?: string;
  readonly shape: (number | null)[];
  /** Whether an optimizer trains it (tfjs' `LayerVariable.trainable`). @default true */
  readonly trainable?: boolean;
  read(): TfTensorLike;
}

/** The part of a tfjs `LayersModel` the adapter uses. */
export interface TfjsModelLike {
  readonly layers: { readonly name: string; readonly weights: TfVariableLike[] }[];
  readonly weights: TfVariableLike[];
  setWeights(weights: never[]): void;
}

/** The part of a tfjs `Optimizer` the adapter uses. */
export interface TfjsOptimizerLike {
  getWeights(): Promise<{ name: string; tensor: TfTensorLike }[]>;
  setWeights(weights: { name: string; tensor: never }[]): Promise<void>;
  getClassName(): string;
  getConfig(): object;
}

/** The part of the `@tensorflow/tfjs` namespace a restore needs. */
export interface TfNamespace {
  /** `tf.tensor(values, shape, dtype)`; typed loosely so any tfjs flavour (tfjs-node too) fits. */
  tensor(values: never, shape: never, dtype: never): unknown;
}

/** Options of {@link restoreTfjsModel} and {@link restoreTfjsOptimizer}. */
export interface RestoreTfjsOptions {
  /** The tfjs namespace that owns the model. @default `await import("@tensorflow/tfjs")` */
  tf?: TfNamespace;
  /**
   * {@link restoreTfjsOptimizer}: the model the optimizer trains. Each saved slot (`…/m`, `…/v`, in
   * tfjs' order: `iter`, then one group per slot kind over the trainable weights) must have its
   * weight's shape; checked before anything is allocated. Without it, the slots are checked against
   * the optimizer's current ones when it has any. @default none
   */
  model?: TfjsModelLike;
}

async function toTensor(t: TfTensorLike, what: string): Promise<Tensor> {
  if (!isDType(t.dtype) || !["float32", "int32", "bool", "complex64"].includes(t.dtype)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `${what} has tfjs dtype '${t.dtype}', which a checkpoint cannot hold`,
    );
  }
  const data = (await t.data()) as TfData;
  const copy = t.dtype === "bool" ? Uint8Array.from(data) : data.slice();
  return new Tensor({ dtype: t.dtype, shape: t.shape, data: copy });
}

/** State dict keys of a model's weights, `<layer name>.<weight name>` (e.g. `dense_1.kernel`). */
function weightKeys(model: TfjsModelLike): Map<TfVariableLike, string> {
  const keys = new Map<TfVariableLike, string>();
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const full = w.originalName ?? w.name;
      keys.set(w, `${layer.name}.${full.slice(full.lastIndexOf("/") + 1)}`);
    }
  }
  return keys;
}

/** A ModelLogger model: its `stateDict()` is an ordered dict of the model's weights. */
export function tfjsModelState(model: TfjsModelLike): StateSource {
  return {
    stateDict: async () => {
      const keys = weightKeys(model);
      const out: Record<string, StateValue> = {};
      for (const [i, w] of model.weights.entries()) {
        const key = keys.get(w) ?? `weight_${i}`;
        out[key] = await toTensor(w.read(), `weight '${w.name}'`);
      }
      return orderedDict(out);
    },
  };
}

/** A ModelLogger optimizer: `{ class, config, weights }` with the optimizer's slots in order. */
export function tfjsOptimizerState(optimizer: TfjsOptimizerLike): StateSource {
  return {
    stateDict: async () => {
      const weights: Record<string, StateValue> = {};
      for (const { name, tensor } of await optimizer.getWeights()) {
        weights[name] = await toTensor(tensor, `optimizer weight '${name}'`);
      }
      const config = JSON.parse(JSON.stringify(optimizer.getConfig())) as StateValue;
      return { class: optimizer.getClassName(), config, weights: orderedDict(weights) };
    },
  };
}

async function namespace(options: RestoreTfjsOptions): Promise<TfNamespace> {
  if (options.tf !== undefined) return options.tf;
  try {
    return (await import("@tensorflow/tfjs")) as unknown as TfNamespace;
  } catch (error) {
    throw new ArtifactError("UNSUPPORTED", "restoring tfjs state needs '@tensorflow/tfjs': npm install it", {
      cause: error,
    });
  }
}

function entriesOf(state: StateValue | undefined, what: string): [string, Tensor][] {
  const entries = state instanceof Map ? [...state.entries()] : Object.entries((state ?? {}) as object);
  if (state === null || typeof state !== "object" || !entries.every(([, v]) => v instanceof Tensor)) {
    throw new ArtifactError("INVALID_ARGUMENT", `${what} is not a dict of tensors`);
  }
  return entries.map(([k, v]) => [String(k), v as Tensor]);
}

function tfTensor(tf: TfNamespace, t: Tensor): never {
  const data = t.dtype === "bool" ? Uint8Array.from(t.data as Uint8Array) : (t.data as TfData);
  return tf.tensor(data as never, [...t.shape] as never, t.dtype as never) as never;
}

/**
 * Loads a saved model state into `model`: by key when every weight's key is present, otherwise by
 * position (tfjs numbers layer names per process). Shapes must match. INVALID_ARGUMENT otherwise.
 */
export async function restoreTfjsModel(
  model: TfjsModelLike,
  state: StateTree | undefined,
  options: RestoreTfjsOptions = {},
): Promise<void> {
  const saved = entriesOf(state, "the model state");
  const byKey = new Map(saved);
  const keys = weightKeys(model);
  const byName = model.weights.every((w) => byKey.has(keys.get(w) ?? ""));
  if (!byName && saved.length !== model.weights.length) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `the state has ${saved.length} weights, the model ${model.weights.length}`,
    );
  }
  const chosen = model.weights.map((w, i) => {
    const t = byName ? byKey.get(keys.get(w) ?? "") : saved[i]?.[1];
    if (t === undefined || t.shape.join() !== w.shape.join()) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `weight '${w.name}' has shape [${w.shape}], the state [${t?.shape}]`,
      );
    }
    return t;
  });
  const tf = await namespace(options); // every shape is checked before any tensor is allocated
  model.setWeights(chosen.map((t) => tfTensor(tf, t)));
}

/** Throws INVALID_ARGUMENT unless every saved tensor has the `expected` shape (in order). */
function checkShapes(
  saved: [string, Tensor][],
  expected: readonly (readonly (number | null)[])[],
  what: string,
) {
  if (saved.length !== expected.length) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `the state has ${saved.length} optimizer weights, ${what} ${expected.length}`,
    );
  }
  saved.forEach(([name, t], i) => {
    const want = expected[i] as (number | null)[];
    if (t.shape.join() !== want.join()) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `optimizer weight '${name}' has shape [${t.shape}], ${what} [${want}]`,
      );
    }
  });
}

/** The shapes an optimizer's weights have for `model`: `iter`, then each slot kind over its trainable weights. */
function slotShapes(saved: [string, Tensor][], model: TfjsModelLike): (number | null)[][] {
  const trainable = model.weights.filter((w) => w.trainable !== false).map((w) => w.shape);
  const iter = saved[0]?.[0] === "iter" ? 1 : 0;
  const slots = saved.length - iter;
  if (trainable.length === 0 ? slots !== 0 : slots % trainable.length !== 0) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `the state has ${slots} optimizer slots, not a multiple of the model's ${trainable.length} trainable weights`,
    );
  }
  return [
    ...(iter ? [[]] : []),
    ...Array.from({ length: slots }, (_, i) => trainable[i % trainable.length] ?? []),
  ];
}

/**
 * Loads a saved optimizer state (from {@link tfjsOptimizerState}) into `optimizer`. Shapes are checked
 * (against `options.model`, or the optimizer's current slots) before any tensor is allocated.
 */
export async function restoreTfjsOptimizer(
  optimizer: TfjsOptimizerLike,
  state: StateTree | undefined,
  options: RestoreTfjsOptions = {},
): Promise<void> {
  const record = (state ?? {}) as { class?: unknown; weights?: StateValue };
  if (record.class !== optimizer.getClassName()) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `the state is of a '${String(record.class)}' optimizer, not '${optimizer.getClassName()}'`,
    );
  }
  const saved = entriesOf(record.weights, "the optimizer weights");
  if (options.model !== undefined) checkShapes(saved, slotShapes(saved, options.model), "the model needs");
  else {
    const current = await optimizer.getWeights();
    if (current.length > 1)
      checkShapes(
        saved,
        current.map((w) => w.tensor.shape),
        "the optimizer has",
      );
  }
  const tf = await namespace(options);
  const weights = saved.map(([name, t]) => ({ name, tensor: tfTensor(tf, t) }));
  await optimizer.setWeights(weights);
}
