// The HTTP policy every gateway route gets: security headers (helmet; a Content-Security-Policy that allows only
// the gateway's own origin, which the dashboard needs and nothing more), a per-address rate limit answering 429 JSON,
// one structured access-log line per request, and the graceful drain used at shutdown.
import type { Server } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { logger } from '../config/logger.js';
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
    handler: (_req: Request, res: Response) => {
      res.status(429).json({ error: 'too_many_requests', detail: `more than ${perMinute} requests a minute from this address; retry after the RateLimit-Reset header's seconds` });
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
