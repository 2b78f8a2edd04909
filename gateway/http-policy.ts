// The HTTP policy every gateway route gets: security headers (helmet; a Content-Security-Policy that allows only
// the gateway's own origin, which the dashboard needs and nothing more), a per-address rate limit answering 429 JSON,
// one structured access-log line per request, and the graceful drain used at shutdown.
import { maxHeaderSize as defaultMaxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { logger } from '../platform/logger.js';
import { routeLabel } from './metrics.js';

const accessLog = logger('http');

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The gateway serves plain HTTP on loopback; TLS is a proxy's job, which sets HSTS itself.
    strictTransportSecurity: false,
  });
}

/** At most `perMinute` requests a minute per client address (0 = no limit); /metrics and /livez are exempt. */
export function rateLimiter(perMinute: number): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => req.path === '/metrics' || req.path === '/livez',
    handler: (req: Request, res: Response) => {
      // Retry-After (RFC 9110) carries the seconds the message points to; the draft-8 RateLimit header says the same as t=.
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1_000));
      res.set('Retry-After', String(seconds));
      res.status(429).json({ error: 'too_many_requests', detail: `more than ${perMinute} requests a minute from this address; retry after ${seconds} s (the Retry-After header)` });
    },
  });
}

/**
 * One JSON line per finished request: method, route pattern, path (never the query string, which could carry a
 * secret), status, duration and bytes sent.
 */
export function accessLogger(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const t0 = process.hrtime.bigint();
    const done = (aborted: boolean) => {
      accessLog.info(
        {
          method: req.method,
          route: routeLabel(req),
          path: req.path.slice(0, 200),
          status: res.statusCode,
          durationMs: Number((Number(process.hrtime.bigint() - t0) / 1e6).toFixed(3)),
          bytes: Number(res.getHeader('content-length') ?? 0) || undefined,
          ...(aborted ? { aborted: true } : {}),
        },
        'request',
      );
    };
    res.once('finish', () => done(false));
    res.once('close', () => {
      if (!res.writableFinished) done(true);
    });
    next();
  };
}

/**
 * Stops accepting connections, lets in-flight requests finish for up to `graceMs` (idle keep-alive connections are
 * closed at once), then cuts whatever is left. Resolves with how many connections had to be cut.
 */
export async function drainServer(server: Server, graceMs: number): Promise<{ forced: boolean }> {
  let closed = false;
  const done = new Promise<void>((resolve) => server.close(() => { closed = true; resolve(); }));
  server.closeIdleConnections();
  // Connections that finish their request later become idle; close them as they do.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearInterval(sweep);
  clearTimeout(timer);
  if (!closed) {
    server.closeAllConnections();
    await done;
    return { forced: true };
  }
  return { forced: false };
}

/**
 * The first problem with a request target's percent-encoding, or undefined when every %XX sequence is valid UTF-8.
 * Checks the path and each query name and value ('+' is a space there), as decodeURIComponent would read them.
 */
export function badPercentEncoding(url: string): string | undefined {
  const q = url.indexOf('?');
  const parts = [q < 0 ? url : url.slice(0, q), ...(q < 0 ? [] : url.slice(q + 1).split(/[&=]/))];
  for (const part of parts) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      const at = /%(?![0-9A-Fa-f]{2})|%[0-9A-Fa-f]{2}/.exec(part);
      return `${JSON.stringify(part.length > 60 ? `${part.slice(0, 60)}...` : part)} is not valid percent-encoding (each % must start a %XX escape of UTF-8 bytes${at ? `; see ${JSON.stringify(part.slice(at.index, at.index + 9))}` : ''})`;
    }
  }
  return undefined;
}

/**
 * Answers requests Node's HTTP parser refuses before express sees them (a request line or headers over
 * `maxHeaderSize`, malformed HTTP, a header timeout) with a JSON body like every other gateway error, instead of
 * Node's default bare status line. `detail` names the limit that was hit.
 */
export function answerClientErrors(server: Server, limits: { maxUrlLength: number }): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already went out on this connection (e.g. an early 413 while the body was still arriving, whose
    // rest the parser then read as a new request): end it, as Node's default handler does, rather than answer twice.
    const answered = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code === 'ECONNRESET' || !socket.writable || answered) {
      socket.destroy();
      return;
    }
    const maxHeader = (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? defaultMaxHeaderSize;
    const [status, error, detail] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', `the request line and headers are longer than ${maxHeader} bytes; URLs may be up to ${limits.maxUrlLength} characters (send long questions with POST /query)`]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request_timeout', 'the request did not arrive in time']
          : [400, 'bad_request', `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`];
    const body = JSON.stringify({ error, detail });
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`);
  });
}
