// The file-based model registry: model_registry/<version>/ holds model.onnx, metadata.json (model/contract.ts)
// and, for the tfjs trainer, its checkpoint under tfjs/; model_registry/current names the served version.
// Versions are written to a temporary directory and renamed into place, and `current` is replaced by rename, so
// a reader never sees a half-written model. Both trainers (TypeScript and model/gpu/train.py) write this layout.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { processSettings } from '../platform/config.js';
import { ModelError } from './errors.js';
import { METADATA_FILE, type ModelMetadata, validateMetadata } from './contract.js';

export const CURRENT_FILE = 'current';
const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The registry root, absolute: `dir`, else MODEL_REGISTRY_DIR, else ./model_registry (platform/config.ts processSettings). */
export function registryRoot(dir?: string): string {
  return dir === undefined ? processSettings().modelRegistryDir : resolve(dir);
}

/** A new version name: UTC time to the millisecond, the trainer, and a random suffix (sorts by creation time). */
export function newVersion(trainer: string, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${t}-${trainer}-${randomBytes(2).toString('hex')}`;
}

export function assertVersion(version: string): string {
  if (!VERSION_RE.test(version)) throw new ModelError('MODEL_VERSION_INVALID', `model version "${version}" is not a valid name (letters, digits, . _ -; up to 128)`);
  return version;
}

/**
 * Write a version: `files` (name → bytes; names may contain one level of sub-directory, e.g. "tfjs/model.json")
 * plus metadata.json, into <root>/<version>/ atomically. Does not change `current`.
 */
export async function writeVersion(root: string, metadata: ModelMetadata, files: Record<string, Uint8Array | string>): Promise<string> {
  const version = assertVersion(metadata.version);
  const final = join(root, version);
  if (existsSync(final)) throw new ModelError('MODEL_VERSION_EXISTS', `model registry: version ${version} already exists in ${root}`);
  const tmp = join(root, `.${version}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    if (name.includes('..') || name.startsWith('/')) throw new ModelError('MODEL_FILE_INVALID', `model registry: bad file name ${name}`);
    const path = join(tmp, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, data);
  }
  await writeFile(join(tmp, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
  await rename(tmp, final);
  return final;
}

/** Point `current` at a version (atomic replace). */
export async function setCurrent(root: string, version: string): Promise<void> {
  assertVersion(version);
  if (!existsSync(join(root, version, METADATA_FILE))) throw new ModelError('MODEL_NOT_FOUND', `model registry: no version ${version} in ${root}`);
  const tmp = join(root, `.${CURRENT_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${version}\n`);
  await rename(tmp, join(root, CURRENT_FILE));
}

/** The version `current` names, or null when there is none yet. */
export async function readCurrent(root: string): Promise<string | null> {
  try {
    const v = (await readFile(join(root, CURRENT_FILE), 'utf8')).trim();
    return v === '' ? null : assertVersion(v);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export interface RegistryEntry {
  version: string;
  dir: string;
  metadata: ModelMetadata;
}

export async function loadEntry(root: string, version: string): Promise<RegistryEntry> {
  const dir = join(root, assertVersion(version));
  const path = join(dir, METADATA_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    const known = await listVersions(root);
    throw new ModelError(
      'MODEL_NOT_FOUND',
      `model registry: no model ${version} in ${root} (${path} is missing); ${known.length ? `versions there: ${known.join(', ')} (or current)` : 'it has no model yet: train one first (sda train)'}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ModelError('MODEL_METADATA_INVALID', `${path}: not valid JSON (${(err as Error).message})`, false, { cause: err });
  }
  return { version, dir, metadata: validateMetadata(parsed, path) };
}

/** The current entry, or null when the registry has no `current` yet. */
export async function loadCurrent(root: string): Promise<RegistryEntry | null> {
  const v = await readCurrent(root);
  return v === null ? null : loadEntry(root, v);
}

/** What promoteVersion did: the version `current` named before (null: none) and the entry it names now. */
export interface Promotion {
  previous: string | null;
  /** `current` held text that is not a version name (written by hand): shown, then replaced. */
  previousInvalid?: string;
  entry: RegistryEntry;
}

/** For error messages: the newest `n` versions of `root` but `except` ("versions there, newest first: a, b (N in all: ls ROOT)"), or what to do when there are none. */
async function versionsHint(root: string, except?: string, n = 5): Promise<string> {
  const known = (await listVersions(root)).filter((v) => v !== except);
  if (known.length === 0) return `${root} has no${except === undefined ? '' : ' other'} model versions: train one (sda train --registry ${root})`;
  const newest = known.slice(-n).reverse();
  return `versions there, newest first: ${newest.join(', ')}${known.length > n ? ` (${known.length} in all: ls ${root})` : ''}`;
}

/**
 * Point `current` at an existing version after checking that the forecaster could load it: `<root>/<version>/`
 * holds metadata.json that validates (model/contract.ts validateMetadata) and names this version, and the ONNX file
 * it names is a non-empty file there, and `load` (when given: the CLI opens it with ONNX Runtime, as the forecaster
 * does, and closes it) accepts the entry. `current` is written by setCurrent (atomic rename), as training's promote
 * does; on any failure it is left unchanged.
 * @param root the registry directory (registryRoot)
 * @param version a version directory name in `root`
 * @param load opens the entry as the forecaster would (model/onnx-model.ts OnnxModel.load then close); a rejection
 *   refuses the promotion
 * @returns the previous `current` and the promoted entry
 * @throws ModelError MODEL_VERSION_INVALID (not a version name), MODEL_NOT_FOUND (no such version or registry; the
 *   message lists the newest versions), MODEL_METADATA_INVALID (metadata.json unreadable, breaking the contract or
 *   naming another version), MODEL_FILE_INVALID (the ONNX file missing or empty, or `load` rejected it)
 */
export async function promoteVersion(root: string, version: string, load?: (entry: RegistryEntry) => Promise<void>): Promise<Promotion> {
  if (!VERSION_RE.test(version)) {
    throw new ModelError('MODEL_VERSION_INVALID', `"${version}" is not a model version name (letters, digits, . _ -; up to 128); ${await versionsHint(root)}`);
  }
  if (!existsSync(root)) throw new ModelError('MODEL_NOT_FOUND', `no model registry at ${root}: pass --registry DIR (or set MODEL_REGISTRY_DIR) to the one \`sda train\` wrote`);
  const dir = join(root, version);
  if (!existsSync(join(dir, METADATA_FILE))) {
    const what = existsSync(dir) ? `${dir} has no ${METADATA_FILE} (not a complete version)` : `no version ${version} in ${root}`;
    throw new ModelError('MODEL_NOT_FOUND', `cannot promote ${version}: ${what}; ${await versionsHint(root)}`);
  }
  let entry: RegistryEntry;
  try {
    entry = await loadEntry(root, version);
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    throw new ModelError(err.code, `cannot promote ${version}: ${err.message}; retrain it (sda train) or promote another version; ${await versionsHint(root, version)}`, false, { cause: err });
  }
  if (entry.metadata.version !== version) {
    throw new ModelError('MODEL_METADATA_INVALID', `cannot promote ${version}: ${join(dir, METADATA_FILE)} names version "${entry.metadata.version}", not its directory's name (a copied or renamed version): rename the directory back or promote another version; ${await versionsHint(root, version)}`);
  }
  // The path the forecaster loads (model/onnx-model.ts OnnxModel.load).
  const onnxPath = join(entry.dir, entry.metadata.onnx.file);
  const onnxStat = await stat(onnxPath).catch(() => null);
  if (!onnxStat?.isFile() || onnxStat.size === 0) {
    const what = onnxStat === null ? 'is missing' : !onnxStat.isFile() ? 'is not a file' : 'is empty';
    throw new ModelError('MODEL_FILE_INVALID', `cannot promote ${version}: its ONNX file ${onnxPath} (metadata onnx.file) ${what}; retrain it (sda train) or promote another version; ${await versionsHint(root, version)}`);
  }
  if (load) {
    try {
      await load(entry);
    } catch (err) {
      throw new ModelError('MODEL_FILE_INVALID', `cannot promote ${version}: ${onnxPath} does not load as the forecaster loads it (${err instanceof Error ? err.message : String(err)}); retrain it (sda train) or promote another version; ${await versionsHint(root, version)}`, false, { cause: err });
    }
  }
  let previous: string | null = null;
  let previousInvalid: string | undefined;
  try {
    previous = await readCurrent(root);
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    previousInvalid = (await readFile(join(root, CURRENT_FILE), 'utf8')).trim();
  }
  await setCurrent(root, version);
  return { previous, ...(previousInvalid !== undefined ? { previousInvalid } : {}), entry };
}

/** All complete versions, oldest first. */
export async function listVersions(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const names = await readdir(root, { withFileTypes: true });
  return names
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(root, d.name, METADATA_FILE)))
    .map((d) => d.name)
    .sort();
}

/** A model as the forecaster serves it: its metadata and the bytes of its ONNX file (metadata.onnx.file). */
export interface ModelFiles {
  metadata: ModelMetadata;
  onnx: Uint8Array;
}

/** Metadata fields that say when, from which commit and how fast a model was made, not what it serves: sameModel ignores them. */
export const PROVENANCE_FIELDS = ['version', 'createdAt', 'gitCommit', 'training.epochSeconds'] as const;

/** `m` as JSON with sorted keys, PROVENANCE_FIELDS left out (undefined values dropped as JSON.stringify drops them). */
function servedIdentity(m: ModelMetadata): string {
  const copy = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
  delete copy.version;
  delete copy.createdAt;
  delete copy.gitCommit;
  const training = copy.training;
  if (typeof training === 'object' && training !== null) delete (training as Record<string, unknown>).epochSeconds;
  return JSON.stringify(copy, (_k, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Whether two models are the same model: byte-identical ONNX files and metadata equal apart from PROVENANCE_FIELDS
 * (version name, creation time, git commit, per-epoch wall-clock seconds), compared as JSON with sorted keys. A
 * second training run on the same windows with the same seed gives such a twin (sda demo run twice).
 */
export function sameModel(a: ModelFiles, b: ModelFiles): boolean {
  return Buffer.from(a.onnx.buffer, a.onnx.byteOffset, a.onnx.byteLength).equals(Buffer.from(b.onnx.buffer, b.onnx.byteOffset, b.onnx.byteLength)) && servedIdentity(a.metadata) === servedIdentity(b.metadata);
}

/** An entry's metadata and ONNX bytes (<entry.dir>/<metadata.onnx.file>). @throws the fs error when the file cannot be read */
export async function readModelFiles(entry: RegistryEntry): Promise<ModelFiles> {
  return { metadata: entry.metadata, onnx: await readFile(join(entry.dir, entry.metadata.onnx.file)) };
}

/**
 * The entry `current` names in `root` when it is the same model as `candidate` (sameModel), else null: also null
 * when there is no current, or its metadata or ONNX file cannot be read or is invalid (then the candidate is not a
 * duplicate of anything servable, and the caller registers it as usual).
 */
export async function identicalCurrent(root: string, candidate: ModelFiles): Promise<RegistryEntry | null> {
  let entry: RegistryEntry | null;
  let files: ModelFiles;
  try {
    entry = await loadCurrent(root);
    if (entry === null) return null;
    files = await readModelFiles(entry);
  } catch {
    return null;
  }
  return sameModel(files, candidate) ? entry : null;
}
