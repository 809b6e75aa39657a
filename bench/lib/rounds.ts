import { spread, type Spread } from './stats.ts';

export interface Contender<F> {
  name: string;
  run(): Promise<F>;
}

export interface RoundsOptions<F> {
  /** Measured rounds (the rules ask for at least 5). */
  rounds: number;
  /** One discarded run of every contender first, so nobody pays alone for JIT and connection warm-up. */
  warmup?: boolean;
  onRound?(round: number, figures: Record<string, F>): void;
}

/**
 * Runs every contender once per round, rotating who goes first (round r starts with contender r mod n),
 * so neither side always runs on a warmer or busier machine. Returns each contender's figures by round.
 */
export async function rotatedRounds<F>(contenders: ReadonlyArray<Contender<F>>, options: RoundsOptions<F>): Promise<Record<string, F[]>> {
  const byName: Record<string, F[]> = Object.fromEntries(contenders.map((c) => [c.name, [] as F[]]));
  if (options.warmup !== false) for (const c of contenders) await c.run();
  for (let round = 0; round < options.rounds; round++) {
    const figures: Record<string, F> = {};
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length] as Contender<F>;
      figures[contender.name] = await contender.run();
    }
    for (const [name, f] of Object.entries(figures)) byName[name]?.push(f);
    options.onRound?.(round, figures);
  }
  return byName;
}

/** The spread of per-round ratios ours/peer for one metric: the fair way to compare noisy runs. */
export function ratioOfRounds<F>(rounds: Record<string, F[]>, metric: (f: F) => number, ours: string, peer: string): Spread {
  const mine = rounds[ours] ?? [];
  const theirs = rounds[peer] ?? [];
  return spread(mine.map((f, i) => metric(f) / metric(theirs[i] as F)));
}

/** The median of each contender's per-round values for one metric. */
export function mediansOf<F>(rounds: Record<string, F[]>, metric: (f: F) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(rounds).map(([name, figures]) => [name, spread(figures.map(metric)).median]));
}
