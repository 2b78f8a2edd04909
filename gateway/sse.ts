// Server-sent events for the dashboard: GET /events streams each new forecast as `event: forecast` with a JSON
// body, and a comment line as heartbeat so proxies and browsers keep the connection. Clients are bounded (503 past
// the limit); a client that cannot keep up (its unsent bytes pass a limit) is dropped rather than buffered without
// bound; close() ends every stream so a graceful shutdown can finish.
import type { Request, Response } from 'express';
import { logger } from '../platform/logger.js';

const log = logger('sse');

export interface SseOptions {
  maxClients?: number;
  heartbeatMs?: number;
  /** Unsent bytes per client before it is dropped. */
  maxBufferedBytes?: number;
  onClients?: (n: number) => void;
}

export class SseHub {
  private readonly clients = new Set<Response>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private seq = 0;

  constructor(private readonly opts: SseOptions = {}) {
    this.timer = setInterval(() => this.write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  get maxClients(): number {
    return this.opts.maxClients ?? 100;
  }

  /** GET /events. */
  handler() {
    return (req: Request, res: Response): void => {
      if (this.closed) {
        res.status(503).json({ error: 'shutting_down', detail: 'the gateway is shutting down' });
        return;
      }
      if (this.clients.size >= this.maxClients) {
        res.status(503).set('Retry-After', '10').json({ error: 'too_many_clients', detail: `the live feed serves at most ${this.maxClients} clients; try again later` });
        return;
      }
      res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      res.flushHeaders();
      req.socket.setNoDelay(true);
      res.write('retry: 3000\n: connected\n\n');
      this.clients.add(res);
      this.opts.onClients?.(this.clients.size);
      const drop = () => {
        if (this.clients.delete(res)) this.opts.onClients?.(this.clients.size);
      };
      req.on('close', drop);
      res.on('error', drop);
    };
  }

  /** Sends one event to every client. */
  publish(event: string, data: unknown): void {
    this.seq += 1;
    this.write(`id: ${this.seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(chunk: string): void {
    const limit = this.opts.maxBufferedBytes ?? 1_048_576;
    for (const res of this.clients) {
      if (res.writableLength > limit) {
        log.warn({ buffered: res.writableLength }, 'dropping a live-feed client that does not keep up');
        this.clients.delete(res);
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
    this.opts.onClients?.(this.clients.size);
  }

  /** Ends every stream (a shutdown): clients see the stream end and reconnect elsewhere. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.opts.onClients?.(0);
  }
}
