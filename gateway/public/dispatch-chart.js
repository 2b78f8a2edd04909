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
