// When the dashboard's dispatch panel plans again on the live feed (pure, loaded by Node's unit tests as served).
// The plan's day is counted from its forecast's first interval (dispatch/day-ahead.ts daySpan: "tomorrow" is the US
// Central day after it), so a newer forecast of the plan's price, or the market day moving on, changes the plan. So
// does the live dispatcher's schedule on that forecast: the plan starts from the battery's state by the dispatcher's
// stored schedule (reports/day-plan.ts), which the dispatch sink stores after the forecast event has reached the page.
// The feed (GET /events) carries forecasts only, and a dispatch event would not help (the schedule is on Kafka before
// the sink stores it), so a plan whose start state came from a schedule older than its forecast is planned again on
// a later feed event, debounced and a bounded number of times, and again on its own timer while still behind (the
// feed's next events are usually the next window's, a newer forecast that starts the count again, so a re-plan that
// waited for them was tried once: reviewer, 2026-12-02); the panel's 60 s re-plan stays the fallback.

/** The least time (ms) between a plan shown and its re-plan for the dispatcher's schedule (dispatchRefreshReason 'dispatcher schedule'). */
export const SCHEDULE_RETRY_MS = 2_000;
/** The longest wait (ms) between such re-plans: the backoff doubles from SCHEDULE_RETRY_MS up to it (2, 4, 8, 8, 8 s). */
export const SCHEDULE_RETRY_MAX_MS = 8_000;
/** How many such re-plans one forecast's plan gets before only the 60 s fallback is left (a dispatcher that is down). */
export const SCHEDULE_RETRIES = 5;

/**
 * The wait (ms) after a plan is shown before its re-plan number `tries` + 1 for the dispatcher's schedule:
 * SCHEDULE_RETRY_MS doubled per re-plan already made, at most SCHEDULE_RETRY_MAX_MS (tries 0, 1, 2, 3: 2, 4, 8, 8 s).
 */
export function scheduleBackoffMs(tries) {
  return Math.min(SCHEDULE_RETRY_MS * 2 ** Math.max(0, tries), SCHEDULE_RETRY_MAX_MS);
}

/**
 * Whether, and after how long (ms from `nowMs`, >= 0), the panel plans the shown plan again for the dispatcher's
 * schedule without waiting for a feed event: null when `shown` (shownPlan's) is not behind, has had SCHEDULE_RETRIES
 * such re-plans, or is `previous` itself (the plan a timer's re-plan started from came back: that re-plan showed no new
 * plan, e.g. GET /dispatch failed, and the 60 s fallback takes over); else the rest of scheduleBackoffMs(tries) since
 * it was shown. The panel re-arms its timer with it after each timer re-plan, and a feed event waits the same.
 */
export function scheduleRetryDelayMs(shown, nowMs = Date.now(), previous = undefined) {
  if (!shown?.scheduleBehind || !(shown.scheduleTries < SCHEDULE_RETRIES)) return null;
  if (previous !== undefined && shown === previous) return null;
  return Math.max(0, shown.shownAt + scheduleBackoffMs(shown.scheduleTries) - nowMs);
}

const CENTRAL_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The US Central date ("YYYY-MM-DD") of a UTC instant (ms). */
export function centralDate(ms) {
  return CENTRAL_DATE.format(new Date(ms));
}

/**
 * What the panel shows, from a GET /dispatch body, shown at `nowMs` (UTC ms): the battery (`asset`: body.asset.id, 'adhoc'
 * for an ad-hoc one), market and settlement point; its
 * forecast's first interval and issue time (UTC ms); `scheduleBehind`, whether the plan's start state came from a
 * live dispatcher schedule on an older forecast than the plan's (body.dispatcherSchedule.forecastIssuedAt before
 * body.forecast.issuedAt: the dispatcher's schedule on this forecast is not stored yet; false without a dispatcher
 * schedule, e.g. an ad-hoc battery, as there is nothing to wait for); `shownAt` = nowMs; and `scheduleTries`, how many
 * times in a row this same plan (same battery, market, point, first interval and issue: another battery at the same
 * point starts its own count) was shown still behind (`prev`: the plan shown before, or null). Null for a body without
 * a forecast.
 */
export function shownPlan(body, nowMs = Date.now(), prev = null) {
  if (!body?.forecast || !body.asset) return null;
  const targetStart = Date.parse(body.forecast.targetStart);
  const issuedAt = Date.parse(body.forecast.issuedAt);
  if (!Number.isFinite(targetStart) || !Number.isFinite(issuedAt)) return null;
  const asset = String(body.asset.id);
  const market = String(body.asset.market).toUpperCase();
  const settlementPoint = String(body.settlementPoint).toUpperCase();
  const scheduleIssued = body.dispatcherSchedule ? Date.parse(body.dispatcherSchedule.forecastIssuedAt) : Number.NaN;
  const scheduleBehind = Number.isFinite(scheduleIssued) && scheduleIssued < issuedAt;
  const same = prev !== null && prev.asset === asset && prev.market === market && prev.settlementPoint === settlementPoint && prev.targetStart === targetStart && prev.issuedAt === issuedAt;
  const scheduleTries = scheduleBehind && same && prev.scheduleBehind ? prev.scheduleTries + 1 : 0;
  return { asset, market, settlementPoint, targetStart, issuedAt, scheduleBehind, shownAt: nowMs, scheduleTries };
}

/**
 * Why the shown plan is out of date after forecast event `f` of the live feed (GET /events: market, seriesId, kind,
 * issuedAt and targetStart in UTC ms), or null when it is not:
 * - 'newer forecast': an RT_PRICE forecast of the plan's settlement point whose first interval is later than the plan's
 *   forecast's, or the same first interval issued later (GET /dispatch plans on the newest such forecast);
 * - 'market day': any forecast of the plan's market whose first interval falls on a later US Central day than the
 *   plan's forecast's first interval ("today" and "tomorrow" have moved on);
 * - 'dispatcher schedule': any other forecast of the plan's market while the plan started from a dispatcher schedule
 *   older than its forecast (shown.scheduleBehind) and fewer than SCHEDULE_RETRIES re-plans of it were behind too;
 *   when to plan again is replanDelayMs's.
 * Nothing shown yet (shown null) is out of date for any forecast of any market.
 */
export function dispatchRefreshReason(shown, f) {
  if (!f || typeof f !== 'object' || !Number.isFinite(f.targetStart) || !Number.isFinite(f.issuedAt)) return null;
  if (!shown) return 'newer forecast';
  if (String(f.market).toUpperCase() !== shown.market) return null;
  if (f.kind === 'RT_PRICE' && String(f.seriesId).toUpperCase() === shown.settlementPoint && (f.targetStart > shown.targetStart || (f.targetStart === shown.targetStart && f.issuedAt > shown.issuedAt))) return 'newer forecast';
  if (f.targetStart > shown.targetStart && centralDate(f.targetStart) > centralDate(shown.targetStart)) return 'market day';
  if (shown.scheduleBehind && shown.scheduleTries < SCHEDULE_RETRIES) return 'dispatcher schedule';
  return null;
}

/**
 * How long (ms, >= 0) the panel waits before planning again for `reason` (dispatchRefreshReason's) at `nowMs`: 0 for
 * a newer forecast or a new market day; for 'dispatcher schedule' the rest of the backoff since the plan was shown
 * (scheduleRetryDelayMs: SCHEDULE_RETRY_MS after the first showing, doubling per re-plan), so a burst of feed events
 * re-plans once, not once per event.
 */
export function replanDelayMs(shown, reason, nowMs = Date.now()) {
  if (reason !== 'dispatcher schedule' || !shown) return 0;
  return scheduleRetryDelayMs(shown, nowMs) ?? 0;
}
