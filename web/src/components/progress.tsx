import { useConsole } from '../context.ts';
import { formatNumber } from '../i18n/index.ts';

/** A labelled bar with the time-left estimate the server computed (or none before any progress). */
export function ProgressBar({ fraction, remainingMs, label }: { fraction: number; remainingMs?: number | undefined; label: string }) {
  const { t, locale } = useConsole();
  const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <span class="progress">
      <progress max={100} value={percent} aria-label={label} />
      <span>{formatNumber(locale, percent)}%</span>
      {remainingMs !== undefined && <span class="muted">{t('progress.left', { time: formatDuration(locale, remainingMs) })}</span>}
    </span>
  );
}

export function formatDuration(locale: string, ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'short' }).format(seconds);
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute', unitDisplay: 'short', maximumFractionDigits: 0 }).format(seconds / 60);
}
