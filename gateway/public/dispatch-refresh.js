// When the dashboard's dispatch panel plans again on the live feed (pure, loaded by Node's unit tests as served).
// The plan's day is counted from its forecast's first interval (dispatch/day-ahead.ts daySpan: "tomorrow" is the US
// Central day after it), so a newer forecast of the plan's price, or the market day moving on, changes the plan.

const CENTRAL_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The US Central date ("YYYY-MM-DD") of a UTC instant (ms). */
export function centralDate(ms) {
  return CENTRAL_DATE.format(new Date(ms));
}

/**
 * What the panel shows, from a GET /dispatch body: the market and settlement point, and its forecast's first interval
 * and issue time (UTC ms). Null for a body without a forecast.
 */
export function shownPlan(body) {
  if (!body?.forecast || !body.asset) return null;
  const targetStart = Date.parse(body.forecast.targetStart);
  const issuedAt = Date.parse(body.forecast.issuedAt);
  if (!Number.isFinite(targetStart) || !Number.isFinite(issuedAt)) return null;
  return { market: String(body.asset.market).toUpperCase(), settlementPoint: String(body.settlementPoint).toUpperCase(), targetStart, issuedAt };
}

/**
 * Why the shown plan is out of date after forecast event `f` of the live feed (GET /events: market, seriesId, kind,
 * issuedAt and targetStart in UTC ms), or null when it is not:
 * - 'newer forecast': an RT_PRICE forecast of the plan's settlement point whose first interval is later than the plan's
 *   forecast's, or the same first interval issued later (GET /dispatch plans on the newest such forecast);
 * - 'market day': any forecast of the plan's market whose first interval falls on a later US Central day than the
 *   plan's forecast's first interval ("today" and "tomorrow" have moved on).
 * Nothing shown yet (shown null) is out of date for any forecast of any market.
 */
export function dispatchRefreshReason(shown, f) {
  if (!f || typeof f !== 'object' || !Number.isFinite(f.targetStart) || !Number.isFinite(f.issuedAt)) return null;
  if (!shown) return 'newer forecast';
  if (String(f.market).toUpperCase() !== shown.market) return null;
  if (f.kind === 'RT_PRICE' && String(f.seriesId).toUpperCase() === shown.settlementPoint && (f.targetStart > shown.targetStart || (f.targetStart === shown.targetStart && f.issuedAt > shown.issuedAt))) return 'newer forecast';
  if (f.targetStart > shown.targetStart && centralDate(f.targetStart) > centralDate(shown.targetStart)) return 'market day';
  return null;
}
