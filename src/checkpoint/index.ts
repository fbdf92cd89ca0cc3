/** Public surface of the checkpoint area (re-exported by `src/index.ts`). */
export {
  bfloat16ToNumber,
  DTYPES,
  type DType,
  float8ToNumber,
  halfToNumber,
  isDType,
  numberToBfloat16,
  numberToHalf,
  type TensorData,
} from "./dtype.js";
export { type LoadCheckpointOptions, loadCheckpoint } from "./load-checkpoint.js";
export { moduleStateDict } from "./module-state-dict.js";
export { NdArray, type NdArrayOptions } from "./numpy-arrays.js";
export {
  type LoadSafetensorsOptions,
  loadSafetensors,
  type SafetensorsContent,
  type SaveSafetensorsOptions,
  saveSafetensors,
} from "./safetensors.js";
export { encodeCheckpoint, type SaveCheckpointOptions, saveCheckpoint } from "./save-checkpoint.js";
export { isTensor, Storage, Tensor, type TensorOptions } from "./tensor.js";
export {
  GlobalRef,
  isOrderedDict,
  orderedDict,
  orderedDictAttrs,
  PickledObject,
  PyFloat,
  pyFloat,
  type StateDict,
  type StateTree,
  type StateValue,
  Tuple,
  tuple,
} from "./values.js";
