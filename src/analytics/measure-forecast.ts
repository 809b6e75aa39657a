import type { Db, QueryCache } from '../db/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { forecast, seasonalPeriod, type ForecastMethod, type ForecastResult } from './forecast/index.ts';
import { addGrains, bucketStart, dayNumber, isoOfDay, type Grain } from './semantic/dates.ts';
import { runReport } from './semantic/report.ts';
import type { Cube } from './semantic/types.ts';

export interface MeasureForecastRequest {
  cube: string;
  measure: string;
  grain: Grain;
  horizon: number;
  /** Time dimension; default the cube's. */
  time?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  segments?: string[] | undefined;
  method?: ForecastMethod | undefined;
  timezone?: string | undefined;
}

export interface MeasureForecast {
  cube: string;
  measure: string;
  grain: Grain;
  history: { period: string; value: number }[];
  forecast: { period: string; mean: number; lower80?: number; upper80?: number; lower95?: number; upper95?: number }[];
  model: ForecastResult;
}

/**
 * Forecasts a measure bucketed by a time grain: the history comes from the semantic model (one grouped query),
 * empty buckets count as zero, and the seasonal period follows from the grain.
 */
export async function forecastMeasure(
  db: Db,
  request: MeasureForecastRequest,
  cubes: Readonly<Record<string, Cube>>,
  queryCache?: QueryCache,
): Promise<MeasureForecast> {
  const cube = cubes[request.cube];
  const time = request.time ?? cube?.defaultTime ?? '';
  const result = await runReport(
    db,
    {
      cube: request.cube,
      dimensions: [{ field: time, grain: request.grain }],
      measures: [request.measure],
      ...(request.from || request.to ? { dateRange: { field: time, from: request.from ?? '1900-01-01', to: request.to ?? '2199-12-31' } } : {}),
      ...(request.segments ? { segments: request.segments } : {}),
      ...(request.timezone ? { timezone: request.timezone } : {}),
      limit: 100_000,
    },
    { cubes, ...(queryCache ? { queryCache } : {}) },
  );
  const key = `${time}.${request.grain}`;
  const byPeriod = new Map(result.rows.map((r) => [String(r[key]), Number(r[request.measure] ?? 0)]));
  const periods = [...byPeriod.keys()].sort();
  if (periods.length === 0)
    throw new ValidationError(`No ${request.measure} data to forecast in that range`, [{ field: 'querystring/from', message: 'the range holds no data' }]);
  const history: { period: string; value: number }[] = [];
  const last = dayNumber(periods[periods.length - 1]!, 'to');
  for (let day = bucketStart(dayNumber(periods[0]!, 'from'), request.grain); day <= last; day = addGrains(day, request.grain, 1)) {
    if (history.length > 5_000)
      throw new ValidationError('The series is longer than 5,000 buckets; choose a coarser grain or a shorter range', [
        { field: 'querystring/grain', message: 'too fine for this range' },
      ]);
    const period = isoOfDay(day);
    history.push({ period, value: byPeriod.get(period) ?? 0 });
  }
  const model = forecast(
    history.map((h) => h.value),
    { frequency: seasonalPeriod(request.grain), horizon: request.horizon, ...(request.method ? { method: request.method } : {}) },
  );
  const i80 = model.intervals.find((i) => i.level === 80);
  const i95 = model.intervals.find((i) => i.level === 95);
  const forecastRows = model.mean.map((mean, h) => ({
    period: isoOfDay(addGrains(last, request.grain, h + 1)),
    mean,
    ...(i80 ? { lower80: i80.lower[h]!, upper80: i80.upper[h]! } : {}),
    ...(i95 ? { lower95: i95.lower[h]!, upper95: i95.upper[h]! } : {}),
  }));
  return { cube: request.cube, measure: request.measure, grain: request.grain, history, forecast: forecastRows, model };
}
