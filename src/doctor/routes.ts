import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/index.ts';
import type { DoctorProbes } from './checks.ts';
import { doctorReport } from './report.ts';

const Pair = Type.Object({ name: Type.String(), value: Type.String() });
const Check = Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() });
const DoctorReply = Type.Object(
  {
    ok: Type.Boolean({ description: 'every check passed' }),
    settings: Type.Array(Pair, { description: 'the effective configuration, secrets masked (what `ai-stack doctor` prints)' }),
    checks: Type.Array(Check, { description: 'data dir, database and Redis, reached the way this server reaches them' }),
  },
  { additionalProperties: false },
);

/** `GET /doctor` under /admin: `ai-stack doctor` over HTTP, for the console's settings page. Always 200; `ok` says the outcome. */
export function doctorAdminRoutes(config: Config, probes: DoctorProbes) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/doctor',
      {
        schema: {
          summary: 'Effective configuration (secrets masked) and backend checks, as `ai-stack doctor` prints them',
          response: { 200: DoctorReply },
        },
      },
      async () => doctorReport(config, probes),
    );
  };
}
