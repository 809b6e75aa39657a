/** Time grains a measure can be bucketed by. */
export type TimeGrain = 'day' | 'week' | 'month' | 'quarter' | 'year';

/**
 * The seasonal period a grain implies: a weekly cycle in daily data, a yearly one in weekly (52), monthly and
 * quarterly data, none in yearly data.
 */
export function seasonalPeriod(grain: TimeGrain): number {
  switch (grain) {
    case 'day':
      return 7;
    case 'week':
      return 52;
    case 'month':
      return 12;
    case 'quarter':
      return 4;
    case 'year':
      return 1;
  }
}
