/** artifact-manager: immutable, versioned artifacts on any storage. Explicit named exports only. */

// --- core (names, types, errors, base manager) ---

export { type DurationUnit, durationMs, parseDurationText } from "./core/duration.js";
export type {
  DeleteArtifactOptions,
  DeleteArtifactResult,
  DeletedVersion,
  DeleteVersionOptions,
  PruneKeepReason,
  PruneOptions,
  PruneResult,
  PruneTarget,
} from "./core/lifecycle.js";
export {
  validateAlias,
  validateArtifactName,
  validateArtifactPath,
  validateCollection,
} from "./core/names.js";
export type {
  Artifact,
  DownloadOptions,
  FileEntry,
  ListOptions,
  LogFilesOptions,
  LogFolderOptions,
  OperationOptions,
  ProgressEvent,
  ProgressListener,
  Provenance,
  TmpArtifact,
  VerifyOptions,
  VerifyResult,
  VersionOptions,
  VersionRecord,
  VersionSelector,
} from "./core/types.js";
export { ArtifactError, type ErrorCode, type ErrorContext, isArtifactError } from "./errors.js";
export {
  ArtifactManager,
  type ArtifactManagerOptions,
  type FolderLog,
  type FolderWriter,
} from "./managers/artifact-manager.js";
export type {
  DriverCapabilities,
  ListEntry,
  ObjectInfo,
  StorageDriver,
  WriteBody,
  WriteOptions,
} from "./storage/driver.js";

// --- download cache (docs/cache.md) ---

export { DEFAULT_CACHE_MAX_BYTES, parseByteSize } from "./cache/byte-size.js";
export type { CacheAlgorithm, CacheKey } from "./cache/cache-key.js";
export { defaultCacheDir } from "./cache/cache-location.js";
export type { CacheOption } from "./cache/cache-option.js";
export {
  type CacheInfo,
  type CachePruneResult,
  DownloadCache,
  type DownloadCacheOptions,
} from "./cache/download-cache.js";

// --- filesystem manager and drivers (owner: core) ---

export { type CreateArtifactIdOptions, createArtifactId } from "./core/artifact-id.js";
export { diffRecords, type FileChange, type RecordDiff } from "./core/diff.js";
export { buildRecord, computeArtifactDigest, parseRecord, RECORD_FORMAT } from "./core/record.js";
export { createLocalDriver, type LocalDriverOptions } from "./drivers/local.js";
export { createMemoryDriver, deleteMemoryStore, type MemoryDriverOptions } from "./drivers/memory.js";
export {
  type ArtifactIdCheckOptions,
  assertArtifactIdExists,
  assertArtifactIdUnused,
  createUniqueArtifactId,
} from "./managers/artifact-id-checks.js";
export {
  FileSystemArtifactManager,
  type FileSystemArtifactManagerOptions,
} from "./managers/file-system-artifact-manager.js";
export type {
  CollectGarbageOptions,
  CollectGarbageResult,
  GarbageItem,
} from "./managers/filesystem/gc.js";
export { DEFAULT_GC_GRACE_MS } from "./managers/filesystem/gc.js";
export {
  type OpenArtifactFileOptions,
  type OpenedArtifactFile,
  openArtifactFile,
} from "./managers/open-artifact-file.js";
export { backendOfUrl, createDriver } from "./storage/create-driver.js";
export { compareCodePoints } from "./util/compare.js";
export {
  DEFAULT_LISTING_CONCURRENCY,
  DEFAULT_TRANSFER_CONCURRENCY,
  type MapConcurrentOptions,
  mapConcurrent,
} from "./util/map-concurrent.js";

// --- cloud drivers (owner: cloud) ---

export { type AzureDriverOptions, createAzureDriver } from "./drivers/azure.js";
export type { CloudLayerOptions } from "./drivers/cloud-layers.js";
export { createGcsDriver, type GcsDriverOptions } from "./drivers/gcs.js";
export { createS3Driver } from "./drivers/s3.js";
export type { S3DriverOptions } from "./drivers/s3-config.js";
export { DEFAULT_MAX_UPLOAD_BYTES_IN_FLIGHT } from "./managers/filesystem/transfer.js";
export { DEFAULT_RETRIES, type RetryOptions, withRetry } from "./storage/layers/retry.js";
export type { RetryEvent, RetryListener } from "./storage/layers/retry-event.js";
export { DEFAULT_OPERATION_TIMEOUT_MS, type TimeoutOptions, withTimeout } from "./storage/layers/timeout.js";

// --- wandb (owner: wandb) ---

export type { WandbConfigOptions } from "./managers/wandb/config.js";
export {
  createWandbManagerFromUrl,
  parseWandbUrl,
  type WandbStoreUrl,
} from "./managers/wandb/from-url.js";
export type { WandbLogFilesOptions } from "./managers/wandb/log-files.js";
export type { LogReferencesOptions, ReferenceSpec } from "./managers/wandb/log-references.js";
export type { ReferenceStorageOptions } from "./managers/wandb/references.js";
export type { WandbRetryOptions } from "./managers/wandb/retry.js";
export {
  DEFAULT_WANDB_CONCURRENCY,
  DEFAULT_WANDB_MAX_UPLOAD_BYTES_IN_FLIGHT,
  type WandbTransferOptions,
} from "./managers/wandb/settings.js";
export {
  WandbArtifactManager,
  type WandbArtifactManagerOptions,
} from "./managers/wandb/wandb-artifact-manager.js";

// --- web UI (issue 21) ---

export {
  createUiHandler,
  startUiServer,
  type UiHandlerOptions,
  type UiServer,
  type UiServerOptions,
} from "./ui/create-ui-server.js";

// --- checkpoint and ModelLogger (owner: checkpoint) ---

export {
  bfloat16ToNumber,
  DTYPES,
  type DType,
  encodeCheckpoint,
  FrozenSet,
  float8ToNumber,
  GlobalRef,
  getBoolean,
  getNumber,
  getStateDict,
  getStateValue,
  getString,
  getTensor,
  halfToNumber,
  isDType,
  isOrderedDict,
  isStateDict,
  isTensor,
  type LoadCheckpointOptions,
  type LoadSafetensorsOptions,
  loadCheckpoint,
  loadSafetensors,
  MetaTensor,
  moduleStateDict,
  NdArray,
  type NdArrayOptions,
  numberToBfloat16,
  numberToHalf,
  orderedDict,
  orderedDictAttrs,
  PickledObject,
  PyFloat,
  pyFloat,
  type QScheme,
  type QuantizedDType,
  QuantizedTensor,
  type QuantizedTensorOptions,
  type SafetensorsContent,
  type SaveCheckpointOptions,
  type SaveSafetensorsOptions,
  type SparseLayout,
  SparseTensor,
  type SparseTensorOptions,
  type StateDict,
  type StateRoot,
  type StateTree,
  type StateValue,
  Storage,
  saveCheckpoint,
  saveSafetensors,
  Tensor,
  type TensorData,
  type TensorOptions,
  TorchDevice,
  TorchSize,
  Tuple,
  tensorEntries,
  tuple,
} from "./checkpoint/index.js";
export {
  type RestoreTfjsOptions,
  restoreTfjsModel,
  restoreTfjsOptimizer,
  type TfjsModelLike,
  type TfjsOptimizerLike,
  type TfNamespace,
  type TfTensorLike,
  type TfVariableLike,
  tfjsModelState,
  tfjsOptimizerState,
} from "./model-logger/tfjs.js";
export {
  type LogStateOptions,
  ModelLogger,
  type ModelState,
  type RetrieveStateOptions,
  type SchedulerEntry,
  type Stateful,
  type StateSource,
} from "./model-logger.js";
