// autocannon run in a child process (the second process generating the load) at a fixed rate; its JSON summary.
import { execFile } from 'node:child_process';
import path from 'node:path';

export interface CannonResult {
  /** The request path (and query) that was loaded. */
  path: string;
  offeredPerSec: number;
  achievedPerSec: number;
  avgMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export function autocannon(url: string, rate: number, connections: number, duration: number): Promise<CannonResult> {
  const bin = path.join(process.cwd(), 'node_modules', 'autocannon', 'autocannon.js');
  const args = [bin, '-j', '-n', '-c', String(connections), '-d', String(duration), '-R', String(rate), url];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, timeout: (duration + 60) * 1_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon failed: ${err.message} ${stderr.slice(0, 500)}`));
      const lines = stdout.trim().split('\n');
      const r = JSON.parse(lines[lines.length - 1]!) as {
        latency: { average: number; p50: number; p90: number; p99: number; max: number };
        requests: { average: number; total: number };
        non2xx: number;
        errors: number;
        timeouts: number;
      };
      resolve({
        path: url.replace(/^http:\/\/[^/]+/, ''),
        offeredPerSec: rate,
        achievedPerSec: r.requests.average,
        avgMs: r.latency.average,
        p50Ms: r.latency.p50,
        p90Ms: r.latency.p90,
        p99Ms: r.latency.p99,
        maxMs: r.latency.max,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
      });
    });
  });
}
