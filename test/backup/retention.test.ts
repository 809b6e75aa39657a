import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupsToDelete, isoWeek, pruneBackups } from '../../src/backup/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { tempDir } from './support.ts';

const at = (iso: string) => ({ id: iso, createdAt: new Date(iso) });

describe('backup retention', () => {
  it('keeps the newest backup of each of the last N days, ISO weeks and months', () => {
    // Two a day over 70 days, newest 2026-12-06.
    const backups = Array.from({ length: 140 }, (_, i) => at(new Date(Date.UTC(2026, 11, 6, 20) - i * 12 * 3_600_000).toISOString()));
    const kept = new Set(backups.map((b) => b.id));
    for (const b of backupsToDelete(backups, { keepDaily: 3, keepWeekly: 2, keepMonthly: 3 })) kept.delete(b.id);
    expect([...kept].sort()).toEqual([
      '2026-10-31T20:00:00.000Z', // October's newest (3 months: December, November, October; September's go)
      '2026-11-29T20:00:00.000Z', // newest of ISO week 2026-W48 (Sunday)
      '2026-11-30T20:00:00.000Z', // November's newest
      '2026-12-04T20:00:00.000Z',
      '2026-12-05T20:00:00.000Z',
      '2026-12-06T20:00:00.000Z', // newest: day, week 49 and December
    ]);
  });

  it('always keeps the newest backup, and nothing else when every count is 0 but one', () => {
    const backups = [at('2026-12-01T00:00:00Z'), at('2026-12-02T00:00:00Z')];
    expect(backupsToDelete(backups, { keepDaily: 0, keepWeekly: 0, keepMonthly: 1 }).map((b) => b.id)).toEqual(['2026-12-01T00:00:00Z']);
    expect(backupsToDelete([], { keepDaily: 1, keepWeekly: 1, keepMonthly: 1 })).toEqual([]);
  });

  it('numbers ISO weeks across year ends', () => {
    expect(isoWeek(new Date('2026-12-06T12:00:00Z'))).toBe('2026-W49');
    expect(isoWeek(new Date('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).toBe('2025-W01');
  });

  it('prunes backup directories on disk and partial ones older than a day, never unrelated files', async () => {
    const dir = tempDir('prune');
    try {
      for (const day of ['01', '02', '03', '04']) {
        mkdirSync(join(dir, `b-${day}`));
        writeFileSync(join(dir, `b-${day}`, 'manifest.json'), JSON.stringify({ createdAt: `2026-12-${day}T03:00:00Z` }));
      }
      mkdirSync(join(dir, '.partial-old'));
      utimesSync(join(dir, '.partial-old'), new Date('2026-12-01'), new Date('2026-12-01'));
      mkdirSync(join(dir, '.partial-running'));
      mkdirSync(join(dir, 'not-a-backup'));
      const deleted = await pruneBackups({ backup: { dir, cron: null, keepDaily: 2, keepWeekly: 0, keepMonthly: 0 } }, new Date());
      expect(deleted.sort()).toEqual(['b-01', 'b-02']);
      expect(readdirSync(dir).sort()).toEqual(['.partial-running', 'b-03', 'b-04', 'not-a-backup']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is configured from the environment and validated', () => {
    const config = loadConfig({ AI_STACK_DATA_DIR: '/srv/ai' });
    expect(config.backup).toEqual({ dir: '/srv/ai/backups', cron: '30 2 * * *', keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    expect(loadConfig({ AI_STACK_BACKUP_CRON: 'off', AI_STACK_BACKUP_DIR: '/mnt/b' }).backup).toMatchObject({ cron: null, dir: '/mnt/b' });
    expect(() => loadConfig({ AI_STACK_BACKUP_KEEP_DAILY: 'seven' })).toThrow(/AI_STACK_BACKUP_KEEP_DAILY: must be a whole number/);
    expect(() => loadConfig({ AI_STACK_BACKUP_CRON: 'every night' })).toThrow(/AI_STACK_BACKUP_CRON: must be a 5-field cron/);
    expect(() => loadConfig({ AI_STACK_BACKUP_KEEP_DAILY: '0', AI_STACK_BACKUP_KEEP_WEEKLY: '0', AI_STACK_BACKUP_KEEP_MONTHLY: '0' })).toThrow(
      /every backup would be deleted/,
    );
  });
});
