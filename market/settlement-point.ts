// Settlement points: which kind of place a price is for, and which series id it is published under.
//
// ERCOT's real-time report (NP6-905-CD) says what each row's settlement point is in its SettlementPointType column.
// The codes ERCOT publishes there (ERCOT Nodal Protocols section 3.5.2 and the report's own data; gridstatus's
// ERCOT parser lists the same set):
//   HU       hub (HB_HOUSTON, HB_NORTH, HB_SOUTH, HB_WEST, HB_PAN)
//   AH, SH   hub averages: HB_HUBAVG (average of the hubs) and HB_BUSAVG (average of the hub buses)
//   LZ       load zone (LZ_HOUSTON, LZ_NORTH, LZ_AEN, LZ_CPS, LZ_LCRA, LZ_RAYBN, LZ_SOUTH, LZ_WEST)
//   LZEW     the same load zone's energy-weighted price (the average of the zone's 15-minute prices weighted by the
//            zone's load), listed under the SAME name as the LZ row and at a different price
//   LZ_DC    a DC-tie load zone (DC_E, DC_L, DC_N, DC_R, DC_S): a load zone, not a resource node
//   LZ_DCEW  its energy-weighted price
//   RN       resource node; PCCRN a physical combined-cycle resource node; PUN a private-use-network node
// Rule for series ids: the settlement point's name, and for the energy-weighted types (LZEW, LZ_DCEW) the name with
// the suffix `_EW` (LZ_HOUSTON_EW). So LZ and LZEW never share a key (field case 07 in test/fixtures/field-cases/).
// A type code not in this list is rejected (reason unknown-point-type) rather than guessed.
// Reports without the column (DAM NP4-190-CD) are classified by name: HB_ hub, LZ_ and DC_x load zone, else a
// resource node.
import type { PointType } from '../schemas/types.js';

/** Suffix of the series id of an energy-weighted load-zone price (types LZEW and LZ_DCEW). */
export const ENERGY_WEIGHTED_SUFFIX = '_EW';

/** ERCOT SettlementPointType code -> our point type, and whether it is an energy-weighted price. */
export const ERCOT_POINT_TYPES: Readonly<Record<string, { pointType: PointType; energyWeighted: boolean }>> = {
  HU: { pointType: 'HUB', energyWeighted: false },
  AH: { pointType: 'HUB', energyWeighted: false },
  SH: { pointType: 'HUB', energyWeighted: false },
  LZ: { pointType: 'LOAD_ZONE', energyWeighted: false },
  LZEW: { pointType: 'LOAD_ZONE', energyWeighted: true },
  LZ_DC: { pointType: 'LOAD_ZONE', energyWeighted: false },
  LZ_DCEW: { pointType: 'LOAD_ZONE', energyWeighted: true },
  RN: { pointType: 'RESOURCE_NODE', energyWeighted: false },
  PCCRN: { pointType: 'RESOURCE_NODE', energyWeighted: false },
  PUN: { pointType: 'RESOURCE_NODE', energyWeighted: false },
};

const DC_TIE = /^DC_[A-Z]$/;

/** Point type of a settlement point from its name alone (reports without a SettlementPointType column). */
export function settlementPointType(name: string): PointType {
  const n = name.trim().toUpperCase();
  if (n.startsWith('HB_')) return 'HUB';
  if (n.startsWith('LZ_') || DC_TIE.test(n)) return 'LOAD_ZONE';
  return 'RESOURCE_NODE';
}

/**
 * Series id and point type of a settlement point given ERCOT's SettlementPointType code (case and spaces ignored).
 * @returns undefined when the code is not one ERCOT publishes (see ERCOT_POINT_TYPES)
 */
export function seriesForSettlementPoint(name: string, typeCode: string): { seriesId: string; pointType: PointType } | undefined {
  const t = ERCOT_POINT_TYPES[typeCode.trim().toUpperCase()];
  if (!t) return undefined;
  return { seriesId: t.energyWeighted ? `${name}${ENERGY_WEIGHTED_SUFFIX}` : name, pointType: t.pointType };
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
