// Codes of model/: the registry (a bad or missing version), model and dataset files that do not read, metadata that
// breaks the contract, a TensorFlow.js backend that cannot start. None is retriable: the same files fail the same way.
import { SdaError } from '../platform/errors.js';

export type ModelErrorCode =
  | 'MODEL_VERSION_INVALID'
  | 'MODEL_VERSION_EXISTS'
  | 'MODEL_NOT_FOUND'
  /** A model file (ONNX graph, tfjs checkpoint) that is unreadable or does not have the contract's inputs and outputs. */
  | 'MODEL_FILE_INVALID'
  /** metadata.json that is not valid JSON or breaks model/contract.ts. */
  | 'MODEL_METADATA_INVALID'
  /** A dataset file (header or float32 arrays) that is unreadable or disagrees with its header. */
  | 'DATASET_FILE_INVALID'
  /** --backend names no TensorFlow.js backend. */
  | 'BACKEND_INVALID'
  /** The chosen TensorFlow.js backend (or, for auto, every one) could not start. */
  | 'BACKEND_UNAVAILABLE';

/** A model, registry, dataset or backend failure with its code; the message names the file or the choice. */
export class ModelError extends SdaError<ModelErrorCode> {}
