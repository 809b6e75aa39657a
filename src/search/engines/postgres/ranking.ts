import { sql, type RawBuilder } from 'kysely';
import type { QueryPlan, TermMatch } from '../../query/plan.ts';
import { groupQuery } from './tsvector.ts';

/** ts_rank weights {D, C, B, A}: bigrams and unstemmed words, sub-words, body, title (SQLite's bm25 column weights ÷ 8). */
export const WEIGHTS = '{0,0.0375,0.125,1}';
/** ts_rank_cd of a term sums its occurrences' weights: ÷ the body weight, a body occurrence counts 1. */
const RANK_TO_TF = 1 / 0.125;
/** A posting's term frequency from the weights of its positions (`w`), as ts_rank_cd with WEIGHTS × RANK_TO_TF counts them. */
export const TF_OF_WEIGHT = sql`(case w when 'A' then 8 when 'B' then 1 when 'C' then 0.0375::float4 * 8 else 0 end)::float8`;
/** Lucene's and SQLite's BM25 defaults. */
const BM25_K1 = 1.2;
const BM25_B = 0.75;
/** Scores are sums of multiples of 1/GRID (see postingScores). */
const GRID = 2 ** 32;

export interface CorpusStats {
  n: number;
  avgdl: number;
  df: ReadonlyMap<string, number>;
}

/**
 * BM25 as SQLite's bm25() computes it: for each query group, IDF × f·(k1 + 1) / (f + k1·(1 − b + b·dl/avgdl)),
 * where f is the group's weighted term frequency (a body occurrence 1, a title one 8, a sub-word 0.3), and dl counts
 * every indexed token as FTS5 does. For a group of single terms f is the sum of their postings' frequencies (the
 * postings table); for a group with a phrase or a prefix, ts_rank_cd of the group over the row's tsvector (the sum of
 * its occurrences' weights, the same figure). Bigram alternatives widen the match but are left out of f, as their
 * SQLite column weight is 0. Measured on the Debian Reference (npm run eval:search), Chinese MRR@10: ts_rank with
 * log-length normalisation 0.684; without the bigrams in the rank query 0.692; this 0.712.
 */
export class Bm25 {
  /** Single-term groups: each term with its group's number (1-based), and each group's IDF. */
  readonly terms: string[] = [];
  readonly groups: number[] = [];
  readonly weights: number[] = [];
  /** Groups with a phrase or a prefix: ranked over each match's tsvector. */
  readonly ranked: Array<{ rank: RawBuilder<unknown>; weight: number }> = [];
  readonly #avgdl: number;

  /** Every term whose document frequency the IDFs need. */
  static termsOf(plan: QueryPlan): string[] {
    return [...new Set(plan.groups.filter((group) => !group.negate).flatMap((group) => group.alternatives[0]?.terms ?? []))];
  }

  constructor(plan: QueryPlan, extra: ReadonlyMap<TermMatch, readonly string[]>, stats: CorpusStats) {
    this.#avgdl = stats.avgdl;
    const idf = (term: string) => {
      const df = stats.df.get(term) ?? 0;
      return Math.log(1 + (stats.n - df + 0.5) / (df + 0.5));
    };
    for (const group of plan.groups.filter((g) => !g.negate)) {
      const primary = group.alternatives[0]?.terms ?? [];
      const weight = primary.length === 0 ? 1 : primary.reduce((sum, term) => sum + idf(term), 0) / primary.length;
      const text = group.alternatives.filter((a) => a.field === 'text');
      // Without a text alternative only bigrams would be ranked, whose weight is 0: the group adds nothing.
      if (text.length === 0) continue;
      if (text.every((a) => a.terms.length === 1 && !a.prefix)) {
        this.weights.push(weight);
        for (const term of new Set(text.flatMap((a) => [...a.terms, ...(extra.get(a) ?? [])]))) {
          this.terms.push(term);
          this.groups.push(this.weights.length);
        }
      } else {
        this.ranked.push({ weight, rank: sql`(ts_rank_cd(${WEIGHTS}::float4[], d.tsv, ${groupQuery(text, extra)}::tsquery, 0) * ${RANK_TO_TF}::float8)` });
      }
    }
  }

  #saturate(weight: RawBuilder<unknown>, f: RawBuilder<unknown>, len: RawBuilder<unknown>): RawBuilder<unknown> {
    const lengthNorm = sql`${BM25_K1}::float8 * (1 - ${BM25_B}::float8 + ${BM25_B}::float8 * ${len} / ${this.#avgdl}::float8)`;
    return sql`${weight} * ${f} * ${BM25_K1 + 1}::float8 / (${f} + ${lengthNorm})`;
  }

  /**
   * `(rid, score)` of every row with a posting of a single-term group's term: each group's frequencies summed per row,
   * then saturated and weighted. A group's sum is rounded to float4 as ts_rank_cd's result was (and each posting's
   * frequency when written), so that the figures are the same.
   */
  postingScores(postings: string): RawBuilder<unknown> {
    if (this.terms.length === 0) return sql`(select null::bigint as rid, null::float8 as score where false)`;
    // Each share is rounded to a multiple of 2⁻³² and summed as such, exactly in any order: a float sum in the order a
    // plan delivers the postings differs in its last bits from one plan to another, enough to swap two rows tied to
    // the 6th digit between a page and the next (test: postgres-engine.test.ts).
    const sum = (share: RawBuilder<unknown>) => sql`sum(round(${share} * ${sql.lit(GRID)}::float8)) / ${sql.lit(GRID)}::float8`;
    // One term per group (most queries): each posting is its group's frequency, no sum per row and group first. The
    // saturation is folded into three factors per term, tf / (tf·a + b + len·c), for the fewest operations per posting.
    if (this.terms.length === this.weights.length) {
      const factors = this.weights.map((w) => [
        1 / (w * (BM25_K1 + 1)),
        (BM25_K1 * (1 - BM25_B)) / (w * (BM25_K1 + 1)),
        (BM25_K1 * BM25_B) / (this.#avgdl * w * (BM25_K1 + 1)),
      ]);
      return sql`(select p.rid, ${sum(sql`p.tf / (p.tf * q.a + q.b + p.len * q.c)`)} as score
        from unnest(${this.terms}::text[], ${factors.map((f) => f[0])}::float8[], ${factors.map((f) => f[1])}::float8[], ${factors.map((f) => f[2])}::float8[])
          as q(term, a, b, c) join ${sql.table(postings)} p on p.term = q.term group by p.rid)`;
    }
    const share = this.#saturate(sql`(${this.weights}::float8[])[f.k]`, sql.ref('f.f'), sql.ref('f.len'));
    return sql`(select f.rid, ${sum(share)} as score
      from (select p.rid, q.k, sum(p.tf)::float4::float8 as f, min(p.len) as len
        from unnest(${this.terms}::text[], ${this.groups}::int[]) as q(term, k) join ${sql.table(postings)} p on p.term = q.term
        group by p.rid, q.k) f group by f.rid)`;
  }

  /** The ts_rank_cd columns of the ranked groups, computed once per match (`x.r0`, `x.r1`, …). */
  rankColumns(): Array<RawBuilder<unknown>> {
    return this.ranked.map(({ rank }, k) => sql`${rank} as ${sql.ref(`r${k}`)}`);
  }

  /** The ranked groups' share of the score, from the rank columns and the row's length. */
  rankedScore(len: RawBuilder<unknown>): RawBuilder<unknown> {
    if (this.ranked.length === 0) return sql`0::float8`;
    return sql.join(
      this.ranked.map(({ weight }, k) => this.#saturate(sql`${weight}::float8`, sql.ref(`x.r${k}`), len)),
      sql` + `,
    );
  }
}
