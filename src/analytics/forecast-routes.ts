import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { ValidationError } from '../shared/errors.ts';
import { forecast, FORECAST_LIMITS, type EtsSpec } from './forecast/index.ts';

const ForecastBody = Type.Object(
  {
    values: Type.Array(Type.Number(), { minItems: 1, maxItems: FORECAST_LIMITS.maxValues }),
    frequency: Type.Integer({
      minimum: 1,
      maximum: FORECAST_LIMITS.maxFrequency,
      description: 'Observations per seasonal cycle: 12 monthly, 4 quarterly, 7 daily, 1 none',
    }),
    horizon: Type.Integer({ minimum: 1, maximum: FORECAST_LIMITS.maxHorizon }),
    method: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('ets'), Type.Literal('theta'), Type.Literal('combination')])),
    model: Type.Optional(Type.String({ pattern: '^[AM](N|A|Ad)[NAM]$', description: 'Force one ETS model, e.g. "MAdM" (error, trend, season)' })),
    levels: Type.Optional(Type.Array(Type.Union([Type.Literal(80), Type.Literal(95)]), { minItems: 1, maxItems: 2, uniqueItems: true })),
  },
  { additionalProperties: false },
);
type ForecastBody = Static<typeof ForecastBody>;

/** "MAdM" → { error: 'M', trend: 'Ad', season: 'M' }. */
export function parseEtsModel(text: string): EtsSpec {
  const match = /^([AM])(N|A|Ad)([NAM])$/.exec(text);
  if (!match)
    throw new ValidationError(`model ${JSON.stringify(text)} is not an ETS model such as "MAdM"`, [
      { field: 'body/model', message: 'must be error (A|M), trend (N|A|Ad), season (N|A|M)' },
    ]);
  return { error: match[1] as EtsSpec['error'], trend: match[2] as EtsSpec['trend'], season: match[3] as EtsSpec['season'] };
}

/** `POST /analytics/forecast`: forecasts a series given in the body. */
export function forecastBodyRoute(app: FastifyInstance): void {
  app.post<{ Body: ForecastBody }>(
    '/analytics/forecast',
    { schema: { body: ForecastBody, tags: ['analytics'], summary: 'Forecast a series (ETS, Theta or their combination) with 80/95 % intervals' } },
    async (request) => {
      const body = request.body;
      const model = body.model === undefined ? undefined : parseEtsModel(body.model);
      return forecast(body.values, {
        frequency: body.frequency,
        horizon: body.horizon,
        ...(body.method ? { method: model ? 'ets' : body.method } : model ? { method: 'ets' as const } : {}),
        ...(model ? { etsModel: model } : {}),
        ...(body.levels ? { levels: body.levels } : {}),
      });
    },
  );
}
