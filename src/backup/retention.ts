import type { BackupConfig } from '../config/index.ts';

export interface DatedBackup {
  id: string;
  createdAt: Date;
}

/**
 * Grandfather-father-son: the newest backup of each of the last `keepDaily` days, `keepWeekly` ISO weeks
 * and `keepMonthly` months (UTC) is kept, and always the newest one; everything else is returned for deletion.
 */
export function backupsToDelete(backups: DatedBackup[], policy: Pick<BackupConfig, 'keepDaily' | 'keepWeekly' | 'keepMonthly'>): DatedBackup[] {
  const newestFirst = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const keep = new Set<string>();
  if (newestFirst[0]) keep.add(newestFirst[0].id);
  const buckets: Array<[number, (d: Date) => string]> = [
    [policy.keepDaily, (d) => d.toISOString().slice(0, 10)],
    [policy.keepWeekly, isoWeek],
    [policy.keepMonthly, (d) => d.toISOString().slice(0, 7)],
  ];
  for (const [count, bucketOf] of buckets) {
    const seen = new Set<string>();
    for (const backup of newestFirst) {
      if (seen.size >= count) break;
      const bucket = bucketOf(backup.createdAt);
      if (seen.has(bucket)) continue;
      seen.add(bucket);
      keep.add(backup.id);
    }
  }
  return newestFirst.filter((b) => !keep.has(b.id));
}

/** `2026-W49`: the ISO 8601 week (Monday first; week 1 holds the year's first Thursday). */
export function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
