import type { Calendar } from './calendar.ts';
import { CATEGORIES, COUNTRIES, NAME_PARTS, PRODUCT_ADJECTIVES, SEGMENTS, type Segment } from './catalog.ts';
import type { SeededRandom } from './random.ts';
import type { DemoRow } from './tables.ts';

export interface CustomerInfo {
  id: number;
  segment: Segment;
  termsDays: number;
}

export interface ProductInfo {
  id: number;
  costCents: number;
  priceCents: number;
}

/** Customers with countries, segments and credit terms; codes and emails derive from ids, so appends stay unique. */
export function makeCustomers(
  random: SeededRandom,
  calendar: Calendar,
  count: number,
  firstId: number,
  startDay: number,
): { rows: DemoRow[]; info: CustomerInfo[] } {
  const rows: DemoRow[] = [];
  const info: CustomerInfo[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    const country = random.weighted(COUNTRIES);
    const segment = random.weighted(SEGMENTS);
    const termsDays = random.pick(segment.termsDays);
    const brand = `${random.pick(NAME_PARTS.first)}${random.pick(NAME_PARTS.second)}`;
    const name = `${brand} ${random.pick(NAME_PARTS.kind)} ${random.pick(NAME_PARTS.form)}`;
    const code = `C${String(id).padStart(7, '0')}`;
    const email = random.chance(0.95) ? `billing.${code.toLowerCase()}@${brand.toLowerCase()}.example` : null;
    const [low, high] = segment.creditLimitCents;
    const creditLimit = Math.round(random.int(low, high) / 10_000) * 10_000;
    const created = calendar.timestamp(startDay - random.int(1, 400), random.int(28_800, 64_800));
    rows.push([
      id,
      code,
      name,
      email,
      country.code,
      random.chance(0.9) ? random.pick(country.cities) : null,
      segment.name,
      creditLimit,
      termsDays,
      created,
      created,
    ]);
    info.push({ id, segment, termsDays });
  }
  return { rows, info };
}

/** Products across categories; cost is 45–80 % of price, so every sale has a positive gross margin. */
export function makeProducts(
  random: SeededRandom,
  calendar: Calendar,
  count: number,
  firstId: number,
  startDay: number,
): { rows: DemoRow[]; info: ProductInfo[] } {
  const rows: DemoRow[] = [];
  const info: ProductInfo[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    const category = CATEGORIES[i % CATEGORIES.length] ?? random.pick(CATEGORIES);
    const [low, high] = category.priceCents;
    // Log-uniform prices: many cheap items, a few expensive ones, as in real catalogues.
    const priceCents = Math.round(Math.exp(Math.log(low) + random.next() * (Math.log(high) - Math.log(low))));
    const costCents = Math.max(1, Math.round(priceCents * (0.45 + random.next() * 0.35)));
    const name = `${random.pick(PRODUCT_ADJECTIVES)} ${random.pick(category.nouns)} ${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 26) + 1}`;
    const created = calendar.timestamp(startDay - random.int(1, 200), random.int(28_800, 64_800));
    rows.push([id, `SKU-${String(id).padStart(6, '0')}`, name, category.name, costCents, priceCents, random.chance(0.96) ? 1 : 0, created, created]);
    info.push({ id, costCents, priceCents });
  }
  return { rows, info };
}
