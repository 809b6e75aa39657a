import type { CustomerSegment } from '../schema.ts';

/** Vocabulary for plausible ERP data: weights roughly follow a European B2B wholesaler. */
export const COUNTRIES: readonly (readonly [{ code: string; cities: readonly string[] }, number])[] = [
  [{ code: 'DE', cities: ['Berlin', 'Hamburg', 'Munich', 'Cologne', 'Frankfurt', 'Leipzig'] }, 30],
  [{ code: 'FR', cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Lille'] }, 18],
  [{ code: 'NL', cities: ['Amsterdam', 'Rotterdam', 'Utrecht', 'Eindhoven'] }, 10],
  [{ code: 'IT', cities: ['Milan', 'Rome', 'Turin', 'Bologna'] }, 12],
  [{ code: 'ES', cities: ['Madrid', 'Barcelona', 'Valencia', 'Seville'] }, 10],
  [{ code: 'AT', cities: ['Vienna', 'Graz', 'Linz'] }, 6],
  [{ code: 'BE', cities: ['Brussels', 'Antwerp', 'Ghent'] }, 5],
  [{ code: 'PL', cities: ['Warsaw', 'Krakow', 'Wroclaw', 'Gdansk'] }, 5],
  [{ code: 'SE', cities: ['Stockholm', 'Gothenburg', 'Malmo'] }, 4],
];

export interface Segment {
  name: CustomerSegment;
  termsDays: readonly number[];
  creditLimitCents: readonly [number, number];
  /** Probability that a line gets a volume discount. */
  discountRate: number;
  maxQuantity: number;
}

export const SEGMENTS: readonly (readonly [Segment, number])[] = [
  // Names are the API's segments (schema.ts): a B2B wholesaler's retail buyers are `consumer`, its resellers `mid-market`.
  [{ name: 'consumer', termsDays: [0, 14], creditLimitCents: [100_000, 500_000], discountRate: 0.05, maxQuantity: 4 }, 40],
  [{ name: 'smb', termsDays: [14, 30], creditLimitCents: [500_000, 2_500_000], discountRate: 0.15, maxQuantity: 10 }, 35],
  [{ name: 'mid-market', termsDays: [30, 45, 60], creditLimitCents: [2_500_000, 10_000_000], discountRate: 0.4, maxQuantity: 40 }, 15],
  [{ name: 'enterprise', termsDays: [45, 60, 90], creditLimitCents: [10_000_000, 50_000_000], discountRate: 0.3, maxQuantity: 25 }, 7],
  [{ name: 'public-sector', termsDays: [30, 60], creditLimitCents: [1_000_000, 20_000_000], discountRate: 0.1, maxQuantity: 15 }, 3],
];

export const NAME_PARTS = {
  first: ['Nord', 'Alpen', 'Blue', 'Sun', 'Iron', 'Green', 'Silver', 'Rhein', 'Atlas', 'Nova', 'Delta', 'Orion', 'Baltic', 'Terra', 'Lumen', 'Vega'],
  second: ['licht', 'werk', 'line', 'field', 'stone', 'bridge', 'gate', 'port', 'wave', 'peak', 'forge', 'mark'],
  kind: ['Trading', 'Logistics', 'Retail', 'Systems', 'Supplies', 'Industries', 'Partners', 'Services'],
  form: ['GmbH', 'SAS', 'B.V.', 'S.p.A.', 'S.L.', 'AG', 'Ltd', 'Sp. z o.o.', 'AB'],
} as const;

export interface Category {
  name: string;
  nouns: readonly string[];
  priceCents: readonly [number, number];
}

export const CATEGORIES: readonly Category[] = [
  { name: 'Office supplies', nouns: ['Stapler', 'Binder', 'Notebook', 'Pen set', 'Desk tray'], priceCents: [199, 4_999] },
  { name: 'Furniture', nouns: ['Desk', 'Chair', 'Cabinet', 'Shelf', 'Meeting table'], priceCents: [4_999, 89_999] },
  { name: 'Electronics', nouns: ['Monitor', 'Keyboard', 'Headset', 'Dock', 'Webcam'], priceCents: [1_999, 59_999] },
  { name: 'Networking', nouns: ['Switch', 'Router', 'Access point', 'Patch cable', 'Firewall'], priceCents: [499, 149_999] },
  { name: 'Cleaning', nouns: ['Detergent', 'Mop', 'Towel pack', 'Disinfectant', 'Bin bags'], priceCents: [149, 2_999] },
  { name: 'Packaging', nouns: ['Carton', 'Tape roll', 'Pallet wrap', 'Bubble wrap', 'Label roll'], priceCents: [99, 1_999] },
  { name: 'Safety', nouns: ['Helmet', 'Gloves', 'Vest', 'Goggles', 'First-aid kit'], priceCents: [299, 9_999] },
  { name: 'Tools', nouns: ['Drill', 'Wrench set', 'Ladder', 'Tool case', 'Saw'], priceCents: [999, 39_999] },
  { name: 'Beverages', nouns: ['Coffee beans', 'Tea box', 'Water case', 'Juice case', 'Cocoa'], priceCents: [399, 4_999] },
  { name: 'Software', nouns: ['Licence', 'Support plan', 'Backup suite', 'Antivirus', 'Office suite'], priceCents: [2_999, 199_999] },
];

export const PRODUCT_ADJECTIVES = ['Basic', 'Pro', 'Eco', 'Compact', 'Heavy-duty', 'Premium', 'Classic', 'Smart'] as const;

export const PAYMENT_METHODS: readonly (readonly [string, number])[] = [
  ['bank_transfer', 70],
  ['card', 15],
  ['direct_debit', 12],
  ['cash', 3],
];

/** Monthly operating expenses: account code and the share of that month's revenue (with some noise). */
export const MONTHLY_EXPENSES: readonly { account: string; label: string; shareOfRevenue: number; fixedCents: number }[] = [
  { account: '6100', label: 'SALARIES', shareOfRevenue: 0.14, fixedCents: 2_500_000 },
  { account: '6200', label: 'RENT', shareOfRevenue: 0, fixedCents: 1_200_000 },
  { account: '6300', label: 'MARKETING', shareOfRevenue: 0.03, fixedCents: 100_000 },
  { account: '6400', label: 'UTILITIES', shareOfRevenue: 0.004, fixedCents: 150_000 },
  { account: '6500', label: 'SOFTWARE', shareOfRevenue: 0.006, fixedCents: 300_000 },
  { account: '6600', label: 'TRAVEL', shareOfRevenue: 0.008, fixedCents: 50_000 },
];
