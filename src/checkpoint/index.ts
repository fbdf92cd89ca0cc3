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
export { type ModuleStateDictOptions, moduleStateDict } from "./module-state-dict.js";
export { NdArray, type NdArrayOptions } from "./numpy-arrays.js";
export {
  type LoadSafetensorsOptions,
  loadSafetensors,
  type SafetensorsContent,
  type SaveSafetensorsOptions,
  saveSafetensors,
} from "./safetensors.js";
export { encodeCheckpoint, type SaveCheckpointOptions, saveCheckpoint } from "./save-checkpoint.js";
export {
  getBoolean,
  getNumber,
  getStateDict,
  getStateValue,
  getString,
  getTensor,
  isStateDict,
  type StateRoot,
  tensorEntries,
} from "./state-accessors.js";
export { isTensor, Storage, Tensor, type TensorOptions } from "./tensor.js";
export {
  MetaTensor,
  type QScheme,
  type QuantizedDType,
  QuantizedTensor,
  type QuantizedTensorOptions,
  type SparseLayout,
  SparseTensor,
  type SparseTensorOptions,
} from "./tensor-kinds.js";
export {
  FrozenSet,
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
  TorchDevice,
  TorchSize,
  Tuple,
  tuple,
} from "./values.js";
