// The project's own CSV format for ticks: what `sda simulate --out` writes and `sda replay` reads back.
// One header line, then one tick per line; timestamps are ISO-8601 UTC.
import { PointTypeValues, TickKindValues, type MarketTick, type PointType, type TickKind } from '../../schemas/types.js';
import { type Parsed, accept, reject } from '../../market/parsed.js';

export const SDA_CSV_HEADER = 'market,series_id,point_type,kind,interval_start,interval_end,value,unit,source,imputed';

export function isSdaCsvHeader(line: string): boolean {
  return line.trim().replace(/^\uFEFF/, '') === SDA_CSV_HEADER;
}

export function toSdaCsvLine(t: MarketTick): string {
  return `${t.market},${t.seriesId},${t.pointType},${t.kind},${new Date(t.intervalStart).toISOString()},${new Date(t.intervalEnd).toISOString()},${t.value},${t.unit},${t.source},${t.imputed ? 'true' : 'false'}`;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** One line of the format; `source` overrides the file's source column so replays are labelled as such. */
export function parseSdaCsvLine(line: string, origin: string, ingestedAt: number, source = 'file-replay'): Parsed {
  const cols = line.split(',');
  const fail = (reasonCode: string, message: string, slot?: Omit<MarketTick, 'value'>) => reject({ reasonCode, message, raw: line, origin, ...(slot ? { slot } : {}) });
  if (cols.length !== 10) return fail('bad-row', `expected 10 columns, found ${cols.length}`);
  const [market, seriesId, pointType, kind, start, end, value, unit, , imputed] = cols as [string, string, string, string, string, string, string, string, string, string];
  if (!market || !seriesId) return fail('missing-field', `${!market ? 'market' : 'series_id'} is empty`);
  if (!(PointTypeValues as readonly string[]).includes(pointType)) return fail('bad-field', `point_type ${JSON.stringify(pointType)} is not one of ${PointTypeValues.join(', ')}`);
  if (!(TickKindValues as readonly string[]).includes(kind)) return fail('bad-field', `kind ${JSON.stringify(kind)} is not one of ${TickKindValues.join(', ')}`);
  if (!ISO.test(start) || !ISO.test(end)) return fail('bad-timestamp', `interval_start/interval_end must be ISO-8601 with a zone, got ${JSON.stringify(start)} / ${JSON.stringify(end)}`);
  const slot = { market, seriesId, pointType: pointType as PointType, kind: kind as TickKind, intervalStart: Date.parse(start), intervalEnd: Date.parse(end), unit, source, ingestedAt, imputed: imputed === 'true' };
  if (Number.isNaN(slot.intervalStart) || Number.isNaN(slot.intervalEnd)) return fail('bad-timestamp', `unparseable interval ${start} / ${end}`);
  if (value.trim() === '') return fail('missing-field', `value is empty for ${seriesId} ${kind} at ${start}`, slot);
  const v = Number(value);
  if (!Number.isFinite(v)) return fail('not-a-number', `value ${JSON.stringify(value)} is not a number for ${seriesId} ${kind} at ${start}`, slot);
  return accept({ ...slot, value: v });
}
