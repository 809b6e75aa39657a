import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Db, QueryCache } from '../db/index.ts';
import { stringEnum } from '../resources/index.ts';
import { forecastBodyRoute } from './forecast-routes.ts';
import { forecastMeasure } from './measure-forecast.ts';
import { GRAINS } from './semantic/dates.ts';
import type { Cube } from './semantic/types.ts';

export interface AnalyticsRouteOptions {
  db: Db;
  cubes: Readonly<Record<string, Cube>>;
  queryCache?: QueryCache | undefined;
}

const MeasureForecastQuery = Type.Object(
  {
    cube: Type.String({ maxLength: 64 }),
    measure: Type.String({ maxLength: 64 }),
    grain: stringEnum(GRAINS),
    horizon: Type.Integer({ minimum: 1, maximum: 1000 }),
    time: Type.Optional(Type.String({ maxLength: 64 })),
    from: Type.Optional(Type.String({ maxLength: 10 })),
    to: Type.Optional(Type.String({ maxLength: 10 })),
    segment: Type.Optional(Type.String({ maxLength: 64 })),
    method: Type.Optional(stringEnum(['auto', 'ets', 'theta', 'combination'] as const)),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** `/api/v1/analytics/*`: forecasts of a posted series or of any time-grained measure of the semantic model. */
export function analyticsRoutes(options: AnalyticsRouteOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    forecastBodyRoute(app);
    app.get<{ Querystring: Static<typeof MeasureForecastQuery> }>(
      '/analytics/forecast',
      { schema: { querystring: MeasureForecastQuery, tags: ['analytics'], summary: 'Forecast a measure of the semantic model by time grain' } },
      async (request) => {
        const q = request.query;
        return forecastMeasure(options.db, { ...q, segments: q.segment ? [q.segment] : undefined }, options.cubes, options.queryCache);
      },
    );
    app.get('/analytics/cubes', { schema: { tags: ['analytics'], summary: 'The semantic model: cubes, dimensions, measures, segments' } }, async () =>
      Object.values(options.cubes).map((c) => ({
        name: c.name,
        title: c.title,
        defaultTime: c.defaultTime,
        dimensions: Object.entries(c.dimensions).map(([name, d]) => ({ name, title: d.title, type: d.type })),
        measures: Object.entries(c.measures).map(([name, m]) => ({ name, title: m.title, agg: m.agg, format: m.format })),
        segments: Object.entries(c.segments).map(([name, s]) => ({ name, title: s.title })),
      })),
    );
  };
}
