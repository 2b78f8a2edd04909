// Whole-day checks of ERCOT hour numbering on DST-change days. A row alone cannot always say which real hour it is:
// a fall-back day (25 hours) may be numbered 1..24 with hour ending 2 repeated and told apart by DSTFlag (ERCOT's
// own convention, central-time.ts), or 1..25 without a DSTFlag (some archives and third-party exports); a
// spring-forward day (23 hours) is numbered 1, 2, 4..24, and a row for hour ending 3 names an hour that does not
// exist. Only the whole day shows which numbering a file uses, so parseRow keeps each row's label on such days
// (Parsed.label) and placeDstDays decides, per day and per file or request:
//
// Fall-back day:
//   - an hour ending 25 and a DSTFlag Y in the same day: two numberings at once -> the whole day is rejected
//     (reason dst-day-numbering);
//   - an hour ending 25 (no DSTFlag Y): the day is numbered 1..25 and placed exactly: HE 1, 2 as themselves (CDT),
//     HE 3 the repeated 01:00-02:00 (CST), HE h >= 4 the hour ending h-1 (CST);
//   - no DSTFlag column and no hour ending 25: rows from hour ending 3 on cannot be told apart (1..24 with a repeated
//     hour, or 1..25 not complete yet) -> the whole day is rejected; if the rows stop at hour ending 2, hour 1 is
//     kept and hour ending 2 rows are rejected (which occurrence they are is unknown);
//   - a DSTFlag column and no hour ending 25: ERCOT's convention, rows stay as parsed.
// Spring-forward day:
//   - rows for hour ending 3 are rejected one by one (reason nonexistent-hour, central-time.ts), the rest stay; but
//     when the day also has hour ending 23 and no hour ending 24, it was numbered 1..23 straight through, so every
//     hour from 3 on would be an hour early -> the whole day is rejected.
// Never two values for one interval, and never a row moved to another hour without a rule above saying so.
import { accept, type HourLabel, type Parsed, reject } from './parsed.js';
import { CentralTimeError, centralDayKind, centralToUtc } from './central-time.js';

export const DST_DAY_REASON = 'dst-day-numbering';

const labelOf = (p: Parsed): HourLabel | undefined => (p.ok ? p.label : p.rejection.label);

function stripLabel(p: Parsed): Parsed {
  if (p.ok) {
    if (!p.label) return p;
    return accept(p.tick);
  }
  if (!p.rejection.label) return p;
  const { label: _label, ...rejection } = p.rejection;
  return reject(rejection);
}

function dayRejected(p: Parsed, message: string): Parsed {
  if (!p.ok) {
    // Already dead-lettered with its own reason; its slot (a missing value) is no longer fillable.
    const { label: _label, slot: _slot, ...rejection } = p.rejection;
    return reject(rejection);
  }
  const l = p.label!;
  return reject({ reasonCode: DST_DAY_REASON, message: `${p.tick.seriesId}: ${message}`, raw: l.raw, origin: l.origin });
}

/**
 * Checks and places every row of the DST-change days in `items` (the rows of one or more whole days, e.g. a file or
 * one day of an API report), following the rules in this file's header. Items without a label (normal days, other
 * sources) pass through untouched and in order; labels are removed from the result.
 * @returns the same number of items: ticks, re-placed ticks, or rejections with reason 'dst-day-numbering'
 */
export function placeDstDays(items: readonly Parsed[]): Parsed[] {
  const days = new Map<string, number[]>();
  items.forEach((p, i) => {
    const l = labelOf(p);
    if (!l) return;
    const key = `${l.group}|${l.date}`;
    const list = days.get(key);
    if (list) list.push(i);
    else days.set(key, [i]);
  });
  if (days.size === 0) return items as Parsed[];
  const out = items.slice();
  for (const idx of days.values()) {
    const labels = idx.map((i) => labelOf(items[i]!)!);
    const date = labels[0]!.date;
    const kind = centralDayKind(date);
    const hours = new Set(labels.map((l) => l.hourEnding));
    const apply = (f: (p: Parsed, l: HourLabel) => Parsed) => {
      for (const i of idx) out[i] = f(items[i]!, labelOf(items[i]!)!);
    };
    if (kind === 'spring-forward') {
      if (hours.has(3) && hours.has(23) && !hours.has(24)) {
        const why = `spring-forward day ${date} (23 hours) is numbered 1..23 straight through (hour ending 03 present, 23 present, 24 absent), so every hour from 03 on would be placed an hour early; the whole day is rejected`;
        apply((p) => dayRejected(p, why));
      } else apply((p) => stripLabel(p));
      continue;
    }
    if (kind !== 'fall-back') {
      apply((p) => stripLabel(p));
      continue;
    }
    const has25 = hours.has(25);
    const anyRepeatedFlag = labels.some((l) => l.dstFlag === true);
    const noFlagColumn = labels.every((l) => l.dstFlag === null);
    if (has25 && anyRepeatedFlag) {
      const why = `fall-back day ${date} has both an hour ending 25 (a day numbered 1..25) and DSTFlag Y rows (hour ending 02 repeated): the numbering is contradictory; the whole day is rejected`;
      apply((p) => dayRejected(p, why));
    } else if (has25) {
      // Numbered 1..25: place every row by that numbering.
      apply((p, l) => {
        if (!p.ok && !p.rejection.slot) return stripLabel(p);
        const he = l.hourEnding <= 2 ? l.hourEnding : l.hourEnding === 3 ? 2 : l.hourEnding - 1;
        const repeated = l.hourEnding === 3;
        try {
          const { start, end } = centralToUtc(date, he, l.interval, repeated, l.stepMinutes);
          if (!p.ok) {
            const { label: _label, slot, ...rejection } = p.rejection;
            return reject({ ...rejection, slot: { ...slot!, intervalStart: start, intervalEnd: end } });
          }
          return accept({ ...p.tick, intervalStart: start, intervalEnd: end });
        } catch (err) {
          if (!(err instanceof CentralTimeError)) throw err;
          return p.ok ? reject({ reasonCode: err.reasonCode, message: `${p.tick.seriesId}: ${err.message}`, raw: l.raw, origin: l.origin }) : stripLabel(p);
        }
      });
    } else if (noFlagColumn && [...hours].some((h) => h >= 3)) {
      const why = `fall-back day ${date} (25 hours) has no DSTFlag column and no hour ending 25: it cannot be told whether it is numbered 1..24 with hour ending 02 repeated or 1..25, so hours from 02 on cannot be placed; the whole day is rejected`;
      apply((p) => dayRejected(p, why));
    } else if (noFlagColumn) {
      const why = `fall-back day ${date}: hour ending 02 is the repeated fall-back hour but the report has no DSTFlag column (and no hour ending 25) to tell the two apart`;
      apply((p, l) => (l.hourEnding === 2 && p.ok ? reject({ reasonCode: 'bad-timestamp', message: `${p.tick.seriesId}: ${why}`, raw: l.raw, origin: l.origin }) : stripLabel(p)));
    } else {
      apply((p) => stripLabel(p));
    }
  }
  return out;
}
