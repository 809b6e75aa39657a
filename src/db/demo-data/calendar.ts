const DAY_MS = 86_400_000;

/** Day numbers (days since 1970-01-01) ↔ 'YYYY-MM-DD', memoised: the generator formats millions of dates. */
export class Calendar {
  readonly #iso = new Map<number, string>();

  static dayOf(isoDate: string): number {
    const ms = Date.parse(`${isoDate}T00:00:00.000Z`);
    if (Number.isNaN(ms)) throw new RangeError(`Not a date: ${isoDate}`);
    return Math.floor(ms / DAY_MS);
  }

  iso(day: number): string {
    let text = this.#iso.get(day);
    if (text === undefined) {
      text = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.#iso.set(day, text);
    }
    return text;
  }

  /** ISO-8601 UTC timestamp on `day` at `secondOfDay`. */
  timestamp(day: number, secondOfDay: number): string {
    const s = Math.max(0, Math.min(86_399, Math.floor(secondOfDay)));
    const hh = String(Math.floor(s / 3600)).padStart(2, '0');
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
    const ss = String(s % 60).padStart(2, '0');
    return `${this.iso(day)}T${hh}:${mm}:${ss}.000Z`;
  }

  /** 'YYYY-MM' of a day, the period key for monthly postings. */
  month(day: number): string {
    return this.iso(day).slice(0, 7);
  }
}
