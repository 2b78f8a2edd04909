// Pure helpers for the dashboard's dispatch panel charts (dispatch-panel.js), loaded by the unit tests as served.

/**
 * The columns of the price/power chart and the state-of-charge chart of a plan (GET /dispatch's body: `intervals`
 * [{start, end ISO, price, p10, p90 $/MWh, chargeMw, dischargeMw, socMwh}], `initialSocMwh`), times in seconds (uPlot).
 * The price chart draws steps that hold each interval's value from its start to the next start (uPlot stepped, align
 * 1), so the last interval (HE 24) needs one more point at its end, repeating its values, or it is drawn as a lone
 * point and the axis stops an hour early; the state of charge is a value at each interval's end from the first start.
 * Both charts share `x`: [first interval's start, last interval's end], so the stacked charts line up (fresh tester:
 * the price chart ended at 04:00Z, the SoC chart at 05:00Z).
 * @returns {price: [x, P50, P10, P90, net MW (discharge - charge)], soc: [x, MWh], x: [min, max] seconds}; null
 *   without intervals
 */
export function dispatchColumns(plan) {
  const iv = plan.intervals ?? [];
  if (iv.length === 0) return null;
  const sec = (iso) => Date.parse(iso) / 1000;
  const end = sec(iv.at(-1).end);
  const withEnd = (vs) => [...vs, vs.at(-1)];
  const xs = [...iv.map((i) => sec(i.start)), end];
  const price = [xs, withEnd(iv.map((i) => i.price)), withEnd(iv.map((i) => i.p10)), withEnd(iv.map((i) => i.p90)), withEnd(iv.map((i) => i.dischargeMw - i.chargeMw))];
  const soc = [[sec(iv[0].start), ...iv.map((i) => sec(i.end))], [plan.initialSocMwh, ...iv.map((i) => i.socMwh)]];
  return { price, soc, x: [xs[0], end] };
}

/**
 * The MW axis of the price chart (net power: discharge +, charge -): +-the battery's power (GET /dispatch's
 * asset.powerMw, MW), so a plan that neither charges nor discharges is drawn on the battery's own scale (fresh tester:
 * a no-trade plan of a 10 MW battery auto-scaled to 0-100 MW) and every plan of one battery on the same one.
 * @returns [-powerMw, powerMw]; null when the power is not a positive number (uPlot then scales to the data)
 */
export function mwRange(plan) {
  const p = plan?.asset?.powerMw;
  return typeof p === 'number' && Number.isFinite(p) && p > 0 ? [-p, p] : null;
}

/** A number as the summary writes it: at most `digits` decimals, thousands grouped (0.05 -> "0.05", 5.55 -> "5.6" at 1). */
const num = (v, digits) => Number(v).toLocaleString('en-US', { maximumFractionDigits: digits });
const pctText = (x) => `${num(x * 100, 2)}%`;

/**
 * The summary's words on where a plan starts and, for an ad-hoc battery, whose settings it has (GET /dispatch's
 * initialSocMwh MWh, initialSocSource in words, and adHocSettings {from, reason, settings, efficiencyGiven} or null):
 * "starts at 1.0 MWh (the live dispatcher's schedule on forecast ..., at ...)", and for an ad-hoc battery
 * "; settings of bess-north (the first configured battery; none is configured at HB_SOUTH): round-trip efficiency 85%,
 * state of charge 5% to 95%, starting at 5%, at most 2 cycles a day, degradation cost $2/MWh". Pure.
 * @returns the text, '' without initialSocMwh
 */
export function startText(plan) {
  if (typeof plan?.initialSocMwh !== 'number') return '';
  const start = `starts at ${num(plan.initialSocMwh, 1)} MWh${plan.initialSocSource ? ` (${plan.initialSocSource})` : ''}`;
  const inh = plan.adHocSettings;
  if (!inh) return start;
  const s = inh.settings ?? {};
  const parts = [];
  if (s.roundTripEfficiency !== undefined) parts.push(`round-trip efficiency ${pctText(s.roundTripEfficiency)}`);
  if (s.minSoc !== undefined && s.maxSoc !== undefined) parts.push(`state of charge ${pctText(s.minSoc)} to ${pctText(s.maxSoc)}`);
  if (s.initialSoc !== undefined) parts.push(`starting at ${pctText(s.initialSoc)}`);
  if (s.dailyCycleLimit !== undefined) parts.push(s.dailyCycleLimit === null ? 'no daily cycle limit' : `at most ${num(s.dailyCycleLimit, 2)} cycle${s.dailyCycleLimit === 1 ? '' : 's'} a day`);
  if (s.degradationCostPerMwh !== undefined) parts.push(`degradation cost $${num(s.degradationCostPerMwh, 2)}/MWh`);
  const eff = inh.efficiencyGiven && plan.asset ? `; round-trip efficiency ${pctText(plan.asset.roundTripEfficiency)} as given` : '';
  return `${start}; settings of ${inh.from} (${inh.reason}): ${parts.join(', ')}${eff}`;
}
