import { Analyzer, SqliteSearchEngine } from '../../src/search/index.ts';
import { searchEngineSuite } from '../conformance/search-engine-suite.ts';
import { openTestDatabase } from '../support/db.ts';

const analyzer = new Analyzer();
searchEngineSuite('SQLite FTS5', async () => {
  const database = await openTestDatabase('sqlite', { migrate: false });
  const engine = new SqliteSearchEngine(database.db.kysely, analyzer);
  await engine.init();
  return { engine, close: () => database.cleanup() };
});
