// Settlement point naming: ERCOT prefixes hubs with HB_ (HB_NORTH, HB_HUBAVG, HB_BUSAVG, ...) and load zones with
// LZ_ (LZ_HOUSTON, LZ_AEN, LZ_CPS, ...). Every other settlement point (resource nodes, DC-tie points) is a resource
// node for our purposes. The name decides, not ERCOT's settlementPointType column (HU, LZ, LZEW, RN, AH, SH, ...),
// whose codes vary between reports.
import type { PointType } from '../../schemas/types.js';

export function settlementPointType(name: string): PointType {
  const n = name.trim().toUpperCase();
  if (n.startsWith('HB_')) return 'HUB';
  if (n.startsWith('LZ_')) return 'LOAD_ZONE';
  return 'RESOURCE_NODE';
}

/** ERCOT's weather-zone load columns (API field names) and our series ids. */
export const WEATHER_ZONE_SERIES = [
  { field: 'coast', seriesId: 'WZ_COAST' },
  { field: 'east', seriesId: 'WZ_EAST' },
  { field: 'farWest', seriesId: 'WZ_FAR_WEST' },
  { field: 'north', seriesId: 'WZ_NORTH' },
  { field: 'northC', seriesId: 'WZ_NORTH_CENTRAL' },
  { field: 'southern', seriesId: 'WZ_SOUTHERN' },
  { field: 'southC', seriesId: 'WZ_SOUTH_CENTRAL' },
  { field: 'west', seriesId: 'WZ_WEST' },
] as const;

/** Series id of system-wide totals (load total, wind, solar); the tick's kind tells them apart. */
export const SYSTEM_SERIES_ID = 'SYSTEM';
