import { Analyzer, PostgresSearchEngine } from '../../src/search/index.ts';
import { searchEngineSuite } from '../conformance/search-engine-suite.ts';
import { openTestDatabase } from '../support/db.ts';

const analyzer = new Analyzer();
searchEngineSuite('PostgreSQL full-text search', async () => {
  const database = await openTestDatabase('postgres', { migrate: false });
  const engine = new PostgresSearchEngine(database.db.kysely, analyzer);
  await engine.init();
  return { engine, close: () => database.cleanup() };
});
