// The JSON routes the dashboard reads: GET /api/overview (latest prices per hub and load zone, pipeline health,
// current model), GET /api/series (every series with data of a kind) and GET /api/history (one series' actuals,
// forecasts and forecast error). Each route validates its query against its schema (validate.ts).
import express, { type Request, type Response } from 'express';
import type pg from 'pg';
import { loadCurrent } from '../model/registry.js';
import { TickKindValues } from '../schemas/types.js';
import type { ConsumerLagReader } from './consumer-lag.js';
import { latestPerSeries, seriesHistory } from './dashboard-store.js';
import { MARKET_PARAM, SERIES_PARAM } from './forecast-params.js';
import { type RouteSchema, validated } from './validate.js';

export const MAX_HOURS = 720;

const kindParam = { type: 'string', description: 'What the series measures.', enum: TickKindValues, default: 'RT_PRICE', maxLength: 16, upperCase: true } as const;

export const DASHBOARD_ROUTES = {
  overview: {
    method: 'get',
    path: '/api/overview',
    summary: 'Latest real-time prices per hub and load zone, consumer lag, state and member count of every pipeline group, when the newest tick was stored (wall clock, stored_at) and its own ingested_at, and the current model version.',
    tags: ['dashboard'],
    query: {},
    responses: { '200': { description: 'The overview.' }, '503': { description: 'PostgreSQL is unavailable.' } },
  },
  series: {
    method: 'get',
    path: '/api/series',
    summary: 'Every series with market data of a kind, with its latest interval.',
    tags: ['dashboard'],
    query: { kind: kindParam },
    responses: { '200': { description: 'The series.' } },
  },
  history: {
    method: 'get',
    path: '/api/history',
    summary: 'One series over the last `hours` hours up to its latest actual: hourly means of the actuals, the horizon-1 forecasts, the newest forecast\'s whole horizon, and the forecast error (per point, RMSE, MAE, bias).',
    tags: ['dashboard'],
    query: {
      series: { ...SERIES_PARAM, required: true },
      market: MARKET_PARAM,
      kind: kindParam,
      hours: { type: 'integer', description: 'Hours of history.', default: 48, minimum: 1, maximum: MAX_HOURS },
    },
    responses: { '200': { description: 'The history.' }, '400': { description: 'A parameter is missing, unknown or out of bounds.' }, '404': { description: 'The series has no data.' } },
  },
} as const satisfies Record<string, RouteSchema>;

export interface DashboardApiDeps {
  pool: pg.Pool;
  lag: ConsumerLagReader | null;
  registryDir: string;
}

export function dashboardApi(deps: DashboardApiDeps): express.Router {
  const router = express.Router();

  router.get(DASHBOARD_ROUTES.overview.path, validated(DASHBOARD_ROUTES.overview), async (_req: Request, res: Response) => {
    const [series, groups, model] = await Promise.all([
      latestPerSeries(deps.pool, 'RT_PRICE'),
      deps.lag ? deps.lag.read() : Promise.resolve([]),
      loadCurrent(deps.registryDir).then(
        (e) => (e ? { version: e.version, target: e.metadata.target, error: null } : { version: null, target: null, error: 'no current model in the registry' }),
        (err: Error) => ({ version: null, target: null, error: err.message.slice(0, 200) }),
      ),
    ]);
    const prices = series.filter((s) => s.pointType === 'HUB' || s.pointType === 'LOAD_ZONE');
    const lastTick = series.reduce<string | null>((a, s) => (a === null || s.ingestedAt > a ? s.ingestedAt : a), null);
    // The pipeline's wall clock: when the ticks sink last wrote a series' newest interval (stored_at), not the tick's
    // own ingested_at, which the simulator and a replay set to the interval's (event) time.
    const lastStored = series.reduce<string | null>((a, s) => (a === null || s.storedAt > a ? s.storedAt : a), null);
    const lastInterval = series.reduce<string | null>((a, s) => (a === null || s.intervalEnd > a ? s.intervalEnd : a), null);
    res.json({
      checkedAt: new Date().toISOString(),
      prices,
      pipeline: {
        lastTickIngestedAt: lastTick,
        lastTickStoredAt: lastStored,
        lastIntervalEnd: lastInterval,
        // notRunning: the command that starts an optional group found not running (its lag null: not counted).
        consumers: groups.map((g) => ({ group: g.group, topic: g.topic, lag: g.lag, partitions: g.partitions.map((p) => ({ partition: p.partition, lag: p.lag })), state: g.state, members: g.members, error: g.error ?? null, notRunning: g.notRunning ?? null })),
      },
      model,
    });
  });

  router.get(DASHBOARD_ROUTES.series.path, validated(DASHBOARD_ROUTES.series), async (_req: Request, res: Response) => {
    const { kind } = res.locals.query as { kind: string };
    res.json({ kind, series: await latestPerSeries(deps.pool, kind) });
  });

  router.get(DASHBOARD_ROUTES.history.path, validated(DASHBOARD_ROUTES.history), async (_req: Request, res: Response) => {
    const q = res.locals.query as { series: string; market: string; kind: string; hours: number };
    const h = await seriesHistory(deps.pool, { ...q, registryDir: deps.registryDir });
    if (!h) {
      res.status(404).json({ error: 'unknown_series', detail: `no market data and no forecasts for ${q.series} (${q.market}, ${q.kind})` });
      return;
    }
    res.json(h);
  });
  return router;
}
