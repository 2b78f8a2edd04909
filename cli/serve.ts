// `sda serve`: the HTTP gateway (dashboard, /forecast, /query, /healthz, /metrics, /openapi.json) until Ctrl-C / SIGTERM.
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { startGateway } from '../gateway/server.js';
import { OptionError, intOption } from './options.js';
import { untilSignal } from './process.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP gateway: the dashboard at / (live forecasts over /events), GET /forecast?series=HB_NORTH[&at=ISO][&kind=RT_PRICE][&market=ERCOT], GET|POST /query (RAG), GET /api/*, /healthz (postgres, kafka, schema registry, model registry), /livez, /metrics, /openapi.json')
    .option('--port <n>', 'port to listen on (default GATEWAY_PORT or 18080; 0 = any free port)')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--registry <dir>', 'model registry directory reported by /healthz (default MODEL_REGISTRY_DIR or ./model_registry)')
    .option('--no-rag', 'do not answer /query (it then answers 503); by default the RAG responder loads on the first question')
    .action(async (opts: { port?: string; host: string; registry?: string; rag: boolean }) => {
      const config = loadConfig();
      const port = opts.port === undefined ? config.gateway.port : intOption('--port', opts.port, 0, 65_535);
      if (!/^[A-Za-z0-9.:\-[\]]{1,255}$/.test(opts.host)) throw new OptionError('--host', `${JSON.stringify(opts.host)} is not a host name or address`);
      const rag = opts.rag ? (await import('../rag/query-service.js')).createRagQueryService(config) : null;
      const gw = await startGateway(config, { port, host: opts.host, registryDir: opts.registry, queryService: rag }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') throw new OptionError('--port', `${opts.host}:${port} is already in use (another gateway or service?); choose another with --port N or GATEWAY_PORT, or 0 for any free port`);
        if (err.code === 'EACCES') throw new OptionError('--port', `cannot listen on ${opts.host}:${port} (permission denied; ports below 1024 need privileges)`);
        // Any other listen failure is the address's: unresolvable (ENOTFOUND) or not this machine's (EADDRNOTAVAIL).
        if (err.syscall === 'getaddrinfo' || err.code === 'EADDRNOTAVAIL') throw new OptionError('--host', `cannot listen on ${opts.host} (${err.code === 'ENOTFOUND' ? 'no such host or address' : err.code === 'EADDRNOTAVAIL' ? 'not an address of this machine' : err.message})`);
        throw err;
      });
      process.stdout.write(`gateway listening on ${gw.url} (dashboard at /, /forecast?series=HB_NORTH, /query?q=..., /healthz, /metrics, /openapi.json); Ctrl-C to stop\n`);
      const sig = await untilSignal();
      await gw.close();
      await rag?.close();
      process.stdout.write(`gateway stopped on ${sig}\n`);
    });
}
