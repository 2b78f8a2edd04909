#!/usr/bin/env node
// sda: the Smart Dispatch Assistant command line. One subcommand per job; `sda <command> --help` for each.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Help, Option } from 'commander';
import { ConfigError, processSettings } from '../platform/config.js';
import { exitQuietlyOnClosedPipe } from './closed-pipe.js';
import { registerBacktest } from './backtest.js';
import { registerBench } from './bench.js';
import { registerDemo } from './demo.js';
import { registerDocker } from './docker.js';
import { registerIngest } from './ingest.js';
import { registerK8s } from './k8s.js';
import { registerLm } from './lm.js';
import { registerModels } from './models.js';
import { registerSummarize } from './summarize.js';
import { registerProcess } from './process.js';
import { registerReplay } from './replay.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerStack } from './stack.js';
import { registerTrace } from './trace.js';
import { registerTrain } from './train.js';

// `sda train --help | head`: a reader that closes the pipe early ends the command quietly (cli/closed-pipe.ts).
exitQuietlyOnClosedPipe();

/** The version in package.json (dist/cli/sda.js -> ../../package.json). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
}

// `sda --version` / `sda -V` only as the first argument: subcommands have options named --version (a model version).
if (process.argv[2] === '--version' || process.argv[2] === '-V') {
  process.stdout.write(`${packageVersion()}\n`);
  process.exit(0);
}

const program = new Command('sda')
  .description('Smart Dispatch Assistant: ERCOT market ticks through Kafka, features, forecasts and answers. `sda --version` prints the version.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
// Listed under Options of `sda --help` only (it is answered above, before commander parses): registered as a program
// option, commander would also take a subcommand's --version (a model version) for it.
const VERSION_OPTION = new Option('-V, --version', 'print the version and exit');
program.configureHelp({
  visibleOptions(cmd) {
    const shown = Help.prototype.visibleOptions.call(this, cmd);
    return cmd === program ? [VERSION_OPTION, ...shown] : shown;
  },
});

registerStack(program);
registerSimulate(program);
registerReplay(program);
registerRun(program);
registerIngest(program);
registerProcess(program);
registerDemo(program);
registerBench(program);
registerBacktest(program);
registerTrain(program);
registerServe(program);
registerModels(program);
registerLm(program);
registerSummarize(program);
registerDocker(program);
registerK8s(program);
registerTrace(program);

program.addHelpText(
  'after',
  `
Configuration comes from environment variables (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PGPORT, ...);
see README.md "Configuration". Logs are JSON lines on stderr; results go to stdout.`,
);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof ConfigError) {
    process.stderr.write(`sda: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`sda: ${(err as Error).message}\n`);
    if (processSettings().debug) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  }
  // A command that failed half-way may leave a listener or a client open (a processor's /metrics server, a Kafka
  // connection): the process ends anyway, so a supervisor sees the failure and restarts it instead of a process that
  // hangs after its error (the timer itself does not keep the process alive).
  setTimeout(() => process.exit(), 2_000).unref();
}
