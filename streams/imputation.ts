// The gap policy. A row whose value is missing or not a number, but whose series and interval are readable,
// is filled by linear interpolation between the nearest observed values of the same series, when the gap is
// at most `maxGap` consecutive intervals and both neighbours exist. Anything else is dead-lettered: longer gaps,
// gaps at the start or end of the data, and rows that are unreadable beyond their value. Filled ticks carry
// imputed = true. Observed values are never changed; negative prices and prices at the cap are observations.
import { seriesKeyOf } from '../market/series.js';
import type { MarketTick } from '../schemas/types.js';
import type { Parsed, Rejection } from '../market/parsed.js';

export const DEFAULT_MAX_GAP = 2;

export interface ImputationResult {
  items: Parsed[];
  imputed: number;
}

/** Applies the gap policy to a batch of parsed rows (any order). Output: observed ticks, imputed ticks, and rejections. */
export function imputeGaps(items: Parsed[], maxGap = DEFAULT_MAX_GAP): ImputationResult {
  const out: Parsed[] = [];
  const bySeries = new Map<string, Array<{ start: number; tick?: MarketTick; missing?: Rejection }>>();
  for (const item of items) {
    if (item.ok) {
      const k = seriesKeyOf(item.tick);
      let list = bySeries.get(k);
      if (!list) bySeries.set(k, (list = []));
      list.push({ start: item.tick.intervalStart, tick: item.tick });
    } else if (item.rejection.slot) {
      const k = seriesKeyOf(item.rejection.slot);
      let list = bySeries.get(k);
      if (!list) bySeries.set(k, (list = []));
      list.push({ start: item.rejection.slot.intervalStart, missing: item.rejection });
    } else {
      out.push(item);
    }
  }
  let imputed = 0;
  for (const list of bySeries.values()) {
    list.sort((a, b) => a.start - b.start);
    // A missing slot at the same interval as an observed tick is a duplicate row: the observation stands.
    const observedAt = new Set(list.filter((e) => e.tick).map((e) => e.start));
    let i = 0;
    while (i < list.length) {
      const e = list[i]!;
      if (e.tick) {
        out.push({ ok: true, tick: e.tick });
        i++;
        continue;
      }
      let j = i;
      while (j < list.length && !list[j]!.tick) j++;
      for (const m of list.slice(i, j)) {
        if (observedAt.has(m.start)) out.push({ ok: false, rejection: { ...m.missing!, message: `${m.missing!.message}; an observed value exists for this interval` } });
      }
      const run = list.slice(i, j).filter((m) => !observedAt.has(m.start));
      const left = i > 0 ? list[i - 1]!.tick : undefined;
      const right = j < list.length ? list[j]!.tick : undefined;
      const distinctSlots = new Set(run.map((m) => m.start)).size;
      if (left && right && distinctSlots > 0 && distinctSlots <= maxGap) {
        const seen = new Set<number>();
        for (const m of run) {
          if (seen.has(m.start)) {
            out.push({ ok: false, rejection: { ...m.missing!, reasonCode: 'duplicate-missing', message: `${m.missing!.message}; another row already fills this interval` } });
            continue;
          }
          seen.add(m.start);
          const f = (m.start - left.intervalStart) / (right.intervalStart - left.intervalStart);
          const value = Math.round((left.value + f * (right.value - left.value)) * 1e6) / 1e6;
          out.push({ ok: true, tick: { ...m.missing!.slot!, value, imputed: true } });
          imputed++;
        }
      } else {
        const why = !left || !right ? 'no observed neighbour on both sides' : `gap of ${distinctSlots} intervals exceeds the policy maximum of ${maxGap}`;
        for (const m of run) out.push({ ok: false, rejection: { ...m.missing!, message: `${m.missing!.message}; not imputed: ${why}` } });
      }
      i = j;
    }
  }
  return { items: out, imputed };
}
