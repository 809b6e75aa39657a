import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { SearchMode, SearchService } from './service.ts';
import type { FacetName, SearchQuery } from './types.ts';

const list = (description: string) => Type.Optional(Type.String({ maxLength: 1_000, description: `${description}, comma-separated` }));

const SearchParams = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 1_000, description: 'Words, "phrases", -excluded, prefix*, OR' }),
    mode: Type.Optional(
      Type.Union([Type.Literal('lexical'), Type.Literal('vector'), Type.Literal('hybrid')], { description: 'hybrid by default when vectors exist' }),
    ),
    match: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')])),
    type: list('Document types'),
    language: list('Languages'),
    tags: list('Tags, all required'),
    date_from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601' })),
    date_to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601' })),
    facets: list('type, language, tags'),
    sort: Type.Optional(Type.Union([Type.Literal('relevance'), Type.Literal('date')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 0 })),
    explain: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type SearchParams = Static<typeof SearchParams>;

const SuggestParams = Type.Object(
  { q: Type.String({ minLength: 1, maxLength: 100 }), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 8 })) },
  { additionalProperties: false },
);
const AnalyzeParams = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 10_000 }),
    mode: Type.Optional(Type.Union([Type.Literal('query'), Type.Literal('index')], { default: 'query' })),
  },
  { additionalProperties: false },
);
const SettingsBody = Type.Object(
  {
    dictionary: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20_000, description: 'Words segmentation keeps whole' })),
    synonyms: Type.Optional(
      Type.Array(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 2, maxItems: 20 }), {
        maxItems: 5_000,
        description: 'Groups of words that mean the same',
      }),
    ),
  },
  { additionalProperties: false },
);

const FACETS: readonly FacetName[] = ['type', 'language', 'tags'];
const split = (value: string | undefined): string[] | undefined => {
  const items = value
    ?.split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  return items && items.length > 0 ? items : undefined;
};

function toQuery(params: SearchParams): SearchQuery & { mode?: SearchMode } {
  const filters = { type: split(params.type), language: split(params.language), tags: split(params.tags), dateFrom: params.date_from, dateTo: params.date_to };
  const query: SearchQuery & { mode?: SearchMode } = {
    q: params.q,
    filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
    facets: (split(params.facets) ?? []).filter((f): f is FacetName => (FACETS as readonly string[]).includes(f)),
  };
  for (const key of ['mode', 'match', 'sort', 'limit', 'offset', 'explain'] as const)
    if (params[key] !== undefined) Object.assign(query, { [key]: params[key] });
  return query;
}

/** /api/v1/search, /search/suggest and /search/analyze (read scope, POST included: searching changes nothing). */
export function searchRoutes(search: SearchService) {
  return async (app: FastifyInstance): Promise<void> => {
    const tags = ['Search'];
    app.get('/search', { schema: { tags, summary: 'Search documents', operationId: 'search', querystring: SearchParams } }, async (request) =>
      search.search(toQuery(request.query as SearchParams)),
    );
    app.post(
      '/search',
      { config: { scope: 'read' }, schema: { tags, summary: 'Search documents (complex queries in the body)', operationId: 'searchPost', body: SearchParams } },
      async (request) => search.search(toQuery(request.body as SearchParams)),
    );
    app.get(
      '/search/suggest',
      { schema: { tags, summary: 'Titles as you type, pinyin included', operationId: 'searchSuggest', querystring: SuggestParams } },
      async (request) => {
        const { q, limit } = request.query as Static<typeof SuggestParams>;
        return { data: await search.suggest(q, limit) };
      },
    );
    app.get(
      '/search/analyze',
      { schema: { tags, summary: 'The tokens a text gives, with offsets (why something matches)', operationId: 'searchAnalyze', querystring: AnalyzeParams } },
      async (request) => {
        const { text, mode } = request.query as Static<typeof AnalyzeParams>;
        return search.analyze(text, mode ?? 'query');
      },
    );
  };
}

/** /admin/search: index stats, rebuild and reconciliation (as tasks), dictionary and synonyms. */
export function searchAdminRoutes(search: SearchService, tasks: { rebuild(): Promise<string>; reconcile(): Promise<string> }) {
  return async (app: FastifyInstance): Promise<void> => {
    const tags = ['Admin'];
    app.get('/search/stats', { schema: { tags, summary: 'Search index statistics', operationId: 'searchStats' } }, async () => search.engine.stats());
    app.post(
      '/search/rebuild',
      { schema: { tags, summary: 'Rebuild the index beside the live one and swap it in', operationId: 'searchRebuild' } },
      async (_request, reply) => reply.code(202).send({ id: await tasks.rebuild() }),
    );
    app.post('/search/sync', { schema: { tags, summary: 'Reconcile the index with the database', operationId: 'searchSync' } }, async (_request, reply) =>
      reply.code(202).send({ id: await tasks.reconcile() }),
    );
    app.get('/search/settings', { schema: { tags, summary: 'User dictionary and synonyms', operationId: 'searchSettings' } }, async () => search.settings());
    app.put(
      '/search/settings',
      {
        schema: {
          tags,
          summary: 'Replace the user dictionary and/or synonyms (reloaded without a restart)',
          operationId: 'searchSettingsUpdate',
          body: SettingsBody,
        },
      },
      async (request) => search.updateSettings(request.body as Static<typeof SettingsBody>),
    );
  };
}
