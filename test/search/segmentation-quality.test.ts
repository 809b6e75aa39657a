import { describe, expect, it } from 'vitest';
import { segmentationTable } from '../../eval/search/segmentation.ts';

// Deterministic quality figures (not timings): the analyser's word-segmentation F1 on the UD Chinese GSD
// test split must stay at or above the 0.80 goal in both scripts, and above jieba alone.
describe('segmentation quality on UD Chinese GSD (test split)', () => {
  it('scores F1 ≥ 0.80 on simplified and traditional text, above jieba alone', () => {
    const rows = segmentationTable('test');
    for (const set of ['GSDSimp (simplified)', 'GSD (traditional)']) {
      const ours = rows.find((r) => r.set === set && r.system === 'ai-stack analyser');
      const jieba = rows.find((r) => r.set === set && r.system.startsWith('jieba'));
      expect(ours?.f1).toBeGreaterThanOrEqual(0.8);
      expect(ours?.f1).toBeGreaterThan(jieba?.f1 ?? 1);
    }
  });
});
