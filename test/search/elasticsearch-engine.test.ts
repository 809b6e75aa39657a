import { randomBytes } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { describe, it } from 'vitest';
import { Analyzer, ElasticsearchSearchEngine } from '../../src/search/index.ts';
import { searchEngineSuite } from '../conformance/search-engine-suite.ts';

// No Elasticsearch can run on our machines: the suite runs when ELASTICSEARCH_URL points at a cluster
// (Elasticsearch 9.x, matching the client's major), and is reported as skipped otherwise.
const url = process.env['ELASTICSEARCH_URL'];
const analyzer = new Analyzer();

if (url) {
  searchEngineSuite('Elasticsearch', async () => {
    const client = new Client({ node: url });
    const index = `ai-stack-test-${randomBytes(4).toString('hex')}`;
    const engine = new ElasticsearchSearchEngine(client, analyzer, { index });
    await engine.init();
    return {
      engine,
      close: async () => {
        await client.indices.delete({ index: `${index}-*`, ignore_unavailable: true });
        await client.close();
      },
    };
  });
} else {
  describe.skip('search engine conformance: Elasticsearch (skipped: ELASTICSEARCH_URL is not set)', () => {
    it('passes the search engine conformance suite against a real cluster', () => undefined);
  });
}
