// trace: D.layout
// One error base (platform/errors.ts): every error class the project exports is an SdaError with a stable code and a
// retriable flag, serialises to plain JSON for logs with its cause chain, and no product file declares an error class
// beside that base.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CommandError, InstallError } from '../../platform/installers/process.js';
import { NodeInstallError } from '../../platform/installers/node.js';
import { ConfigError, projectRoot } from '../../platform/config.js';
import { SdaError } from '../../platform/errors.js';
import { KafkaError, PoisonRecordError } from '../../platform/kafka/errors.js';
import { MigrationError } from '../../platform/postgres/migrate.js';
import { CentralTimeError } from '../../market/central-time.js';
import { DispatchError } from '../../dispatch/errors.js';
import { EmptyDatasetError } from '../../model/dataset.js';
import { ModelError } from '../../model/errors.js';
import { OnlineBandSpecError } from '../../model/online-band.js';
import { SourceFileError } from '../../streams/errors.js';
import { LmDataError } from '../../model/lm/data.js';
import { LmError } from '../../model/lm/finetune.js';
import { ValidationError } from '../../gateway/validate.js';
import { K8sCheckError } from '../../deploy/k8s/validate.js';
import { DockerImageError } from '../../deploy/docker/images.js';
import { StackError } from '../../deploy/local/service.js';
import { ModelFetchError } from '../../rag/models.js';
import { LlmError } from '../../rag/llm.js';
import { ZipFormatError } from '../../rag/zip.js';
import { VectorStoreError } from '../../rag/store/store.js';
import { OptionError } from '../../cli/options.js';
import { SimulatorOptionError } from '../../streams/simulator/catalog.js';
import { CsvSyntaxError } from '../../streams/ercot/mis-csv.js';
import { ErcotConfigError, ErcotError } from '../../streams/ercot/errors.js';
import { sourceFiles } from './source-files.js';

/** One instance of every exported error class, with the code and retriable flag it must carry. */
const CASES: Array<{ err: SdaError; cls: string; code: string; retriable: boolean }> = [
  { err: new SdaError('SOME_CODE', 'm'), cls: 'SdaError', code: 'SOME_CODE', retriable: false },
  { err: new KafkaError('KAFKA_UNAVAILABLE', 'm', true), cls: 'KafkaError', code: 'KAFKA_UNAVAILABLE', retriable: true },
  { err: new PoisonRecordError('AVRO_DECODE', 'm'), cls: 'PoisonRecordError', code: 'AVRO_DECODE', retriable: false },
  { err: new DispatchError('ASSET_INVALID', 'm'), cls: 'DispatchError', code: 'ASSET_INVALID', retriable: false },
  { err: new ConfigError(['PGPORT="x": expected an integer']), cls: 'ConfigError', code: 'CONFIG_INVALID', retriable: false },
  { err: new CommandError('false', 1, 'out'), cls: 'CommandError', code: 'COMMAND_FAILED', retriable: false },
  { err: new InstallError('TOOL_MISSING', 'm'), cls: 'InstallError', code: 'TOOL_MISSING', retriable: false },
  { err: new NodeInstallError('NODE_DOWNLOAD', 'm'), cls: 'NodeInstallError', code: 'NODE_DOWNLOAD', retriable: false },
  { err: new MigrationError('MIGRATION_CHANGED', 'm', ['001_init.sql']), cls: 'MigrationError', code: 'MIGRATION_CHANGED', retriable: false },
  { err: new CentralTimeError('hour', 25, 'm'), cls: 'CentralTimeError', code: 'bad-timestamp', retriable: false },
  { err: new EmptyDatasetError('m'), cls: 'EmptyDatasetError', code: 'DATASET_EMPTY', retriable: false },
  { err: new ModelError('MODEL_NOT_FOUND', 'm'), cls: 'ModelError', code: 'MODEL_NOT_FOUND', retriable: false },
  { err: new OnlineBandSpecError('m'), cls: 'OnlineBandSpecError', code: 'ONLINE_BAND_INVALID', retriable: false },
  { err: new SourceFileError('FILE_EMPTY', 'a.csv', 'm'), cls: 'SourceFileError', code: 'FILE_EMPTY', retriable: false },
  { err: new LmDataError('LM_DATA_LINE', 'm'), cls: 'LmDataError', code: 'LM_DATA_LINE', retriable: false },
  { err: new LmError('LM_OFFLINE', 'm', true), cls: 'LmError', code: 'LM_OFFLINE', retriable: true },
  { err: new ValidationError('series', 'series is required'), cls: 'ValidationError', code: 'PARAM_INVALID', retriable: false },
  { err: new K8sCheckError('KUBECTL_MISSING', 'm'), cls: 'K8sCheckError', code: 'KUBECTL_MISSING', retriable: false },
  { err: new StackError('POSTGRES_UNAVAILABLE', 'm', true), cls: 'StackError', code: 'POSTGRES_UNAVAILABLE', retriable: true },
  { err: new DockerImageError('DOCKER_BUILD', 'm'), cls: 'DockerImageError', code: 'DOCKER_BUILD', retriable: false },
  { err: new ModelFetchError('m', true), cls: 'ModelFetchError', code: 'MODEL_FETCH', retriable: true },
  { err: new LlmError('LLM_UNREACHABLE', 'm', true), cls: 'LlmError', code: 'LLM_UNREACHABLE', retriable: true },
  { err: new ZipFormatError('a.zip', 'm'), cls: 'ZipFormatError', code: 'ZIP_FORMAT', retriable: false },
  { err: new VectorStoreError('VECTOR_BACKEND', 'm', true), cls: 'VectorStoreError', code: 'VECTOR_BACKEND', retriable: true },
  { err: new OptionError('--days', 'm'), cls: 'OptionError', code: 'OPTION_INVALID', retriable: false },
  { err: new SimulatorOptionError('days', 'm'), cls: 'SimulatorOptionError', code: 'SIMULATOR_OPTION_INVALID', retriable: false },
  { err: new CsvSyntaxError('m', 3), cls: 'CsvSyntaxError', code: 'CSV_SYNTAX', retriable: false },
  { err: new ErcotError('RATE_LIMITED', 'm', true, { status: 429 }), cls: 'ErcotError', code: 'RATE_LIMITED', retriable: true },
  { err: new ErcotConfigError(['ERCOT_USERNAME'], [], 'm'), cls: 'ErcotConfigError', code: 'CONFIG', retriable: false },
];

/** Product sources (test/ and bench/ left out). */
const productSources = () => sourceFiles(['test', 'bench']);

describe('SdaError, the one error base', () => {
  for (const c of CASES) {
    it(`${c.cls} is an SdaError with code ${c.code} and retriable ${c.retriable}`, () => {
      assert.ok(c.err instanceof SdaError);
      assert.ok(c.err instanceof Error);
      assert.equal(c.err.name, c.cls);
      assert.equal(c.err.code, c.code);
      assert.equal(c.err.retriable, c.retriable);
      const json = JSON.parse(JSON.stringify(c.err)) as Record<string, unknown>;
      assert.equal(json.name, c.cls);
      assert.equal(json.code, c.code);
      assert.equal(json.retriable, c.retriable);
      assert.equal(typeof json.message, 'string');
      assert.equal(json.stack, undefined, 'no stack in the log form');
    });
  }

  it('toJSON keeps the extra fields of a subclass as plain data', () => {
    assert.deepEqual(new ConfigError(['PGPORT="x": expected an integer']).toJSON().problems, ['PGPORT="x": expected an integer']);
    const ercot = new ErcotError('SERVER_ERROR', 'HTTP 503', true, { status: 503, attempts: 2 }).toJSON();
    assert.deepEqual(ercot.details, { status: 503, attempts: 2 });
    const v = new ValidationError('horizon', 'horizon must be an integer from 1 to 36').toJSON();
    assert.deepEqual({ param: v.param, detail: v.detail }, { param: 'horizon', detail: 'horizon must be an integer from 1 to 36' });
    assert.equal(new CentralTimeError('dstFlag', 'maybe', 'm').toJSON().field, 'dstFlag');
  });

  it('toJSON follows the cause chain: SdaErrors in full, other Errors by name, message and code, other values as data', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55432'), { code: 'ECONNREFUSED' });
    const middle = new KafkaError('REGISTRY_UNAVAILABLE', 'could not fetch schema 8', true, { cause: socket });
    const top = new SdaError('JOB_FAILED', 'windower: could not fetch schema 8', false, { cause: middle });
    assert.deepEqual(JSON.parse(JSON.stringify(top)), {
      name: 'SdaError',
      code: 'JOB_FAILED',
      retriable: false,
      message: 'windower: could not fetch schema 8',
      cause: {
        name: 'KafkaError',
        code: 'REGISTRY_UNAVAILABLE',
        retriable: true,
        message: 'could not fetch schema 8',
        cause: { name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:55432' },
      },
    });
    assert.equal(top.cause, middle, 'the cause itself is kept for code that inspects it');
    assert.deepEqual(new SdaError('X', 'm', false, { cause: { status: 503n, at: new Date(0) } }).toJSON().cause, { status: '503', at: '1970-01-01T00:00:00.000Z' });
  });

  it('toJSON stops a cyclic or very deep cause chain', () => {
    const a = new SdaError('A', 'a');
    const b = new SdaError('B', 'b', false, { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    const text = JSON.stringify(a);
    assert.match(text, /\[truncated\]/);
    assert.ok(text.length < 2_000, text);
  });

  it('no product source declares an error class that does not extend SdaError (or one of its subclasses)', () => {
    const root = projectRoot();
    const offenders: string[] = [];
    for (const file of productSources()) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const m of text.matchAll(/class\s+(\w+)\s+extends\s+(Error|TypeError|RangeError|AggregateError)\b/g)) offenders.push(`${file}: class ${m[1]} extends ${m[2]}`);
    }
    assert.deepEqual(offenders, [], 'declare project errors as subclasses of SdaError (platform/errors.ts)');
  });

  it('every exported error class of the product is listed above', () => {
    const root = projectRoot();
    const declared: string[] = [];
    for (const file of productSources()) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const m of text.matchAll(/export class\s+(\w+Error)\s+extends\s+\w+/g)) declared.push(m[1]!);
    }
    assert.ok(declared.length >= CASES.length - 1, `found only ${declared.length} error classes: is the scan looking at the sources?`);
    const listed = new Set(CASES.map((c) => c.cls));
    assert.deepEqual(declared.filter((d) => !listed.has(d)).sort(), [], 'add an instance of each new error class to CASES');
  });
});
