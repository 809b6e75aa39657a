import type { ColumnType, Generated } from 'kysely';

/**
 * The table shapes shared by both dialects. Conventions that keep one query code for SQLite and PostgreSQL:
 * - money is integer minor units (`*_cents`): exact on both engines, no DECIMAL emulation on SQLite;
 * - timestamps are ISO-8601 UTC strings (`2026-11-30T23:22:37.123Z`), dates are `YYYY-MM-DD` strings
 *   (PostgreSQL's timestamptz/date values are converted by the pg type parsers in the dialect setup);
 * - JSON columns carry JSON text (PostgreSQL jsonb is returned as text); repositories parse it;
 * - `version` counts updates, for ETags and optimistic concurrency.
 */
export type Timestamp = ColumnType<string, string | undefined, string>;
export type IsoDate = string;
export type JsonText = string;

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  /** First characters of the key, shown in listings so a key can be recognised without revealing it. */
  prefix: string;
  /** SHA-256 (hex) of the whole key; keys are 256-bit random, so a fast hash is sufficient. */
  key_hash: string;
  /** Comma-separated subset of admin,write,read. */
  scopes: string;
  created_at: Timestamp;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

/** `pending`: a metadata-only record (nothing to process); uploads go uploaded → processing → ready | failed. */
export type DocumentStatus = 'pending' | 'uploaded' | 'processing' | 'ready' | 'failed';

export interface DocumentsTable {
  id: Generated<number>;
  title: string;
  filename: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  status: DocumentStatus;
  metadata: JsonText;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Blob-store key of the original bytes; null for a metadata-only record (JSON create). */
  blob_key: string | null;
  /** What the bytes are (detected from content): pdf, docx, xlsx, pptx, html, markdown, text, csv, eml. */
  detected_type: string | null;
  /** The processing step that failed and its readable error, while status is `failed`. */
  error_step: string | null;
  error: string | null;
  /** JSON array of readable warnings (e.g. "no text layer"). */
  warnings: Generated<JsonText>;
  /** Id of the newest processing task; the sweeper re-enqueues when it is gone. */
  task_id: string | null;
  processing_started_at: string | null;
  ready_at: string | null;
  /** Soft delete: hidden from the API, purged by cleanup_old_documents after the grace period. */
  deleted_at: string | null;
  /** `model@dimension` of the stored vectors. */
  embedding_model: string | null;
}

export interface DocumentChunksTable {
  id: Generated<number>;
  document_id: number;
  ordinal: number;
  text: string;
  token_count: number;
  /** 1-based page of the chunk's first character, when the format has pages. */
  page: number | null;
  /** Character offsets (UTF-16 code units) into the extracted text: text = full.slice(start_offset, end_offset). */
  start_offset: Generated<number>;
  end_offset: Generated<number>;
  /** Heading path of the section the chunk belongs to (" > "-joined), when known. */
  section: string | null;
}

/** The extracted text of a document, the coordinate system of its chunks' offsets. */
export interface DocumentTextsTable {
  document_id: number;
  text: string;
}

/** One embedding per chunk and model: float32 little-endian bytes. */
export interface DocumentVectorsTable {
  chunk_id: number;
  document_id: number;
  model: string;
  dimension: number;
  embedding: Uint8Array;
}

/**
 * The customer segments the API accepts and returns. One list for the API schema and the demo data,
 * which once generated segments (retail, wholesale, public) that the API then refused on a round trip.
 */
export const CUSTOMER_SEGMENTS = ['enterprise', 'mid-market', 'smb', 'consumer', 'public-sector'] as const;
export type CustomerSegment = (typeof CUSTOMER_SEGMENTS)[number];

export interface CustomersTable {
  id: Generated<number>;
  code: string;
  name: string;
  email: string | null;
  country: string;
  city: string | null;
  segment: string;
  credit_limit_cents: number;
  payment_terms_days: number;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProductsTable {
  id: Generated<number>;
  sku: string;
  name: string;
  category: string;
  unit_cost_cents: number;
  unit_price_cents: number;
  active: Generated<number>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type OrderStatus = 'draft' | 'confirmed' | 'shipped' | 'invoiced' | 'paid' | 'cancelled';

export interface OrdersTable {
  id: Generated<number>;
  order_no: string;
  customer_id: number;
  order_date: IsoDate;
  status: OrderStatus;
  currency: string;
  total_cents: number;
  cost_cents: number;
  notes: string | null;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrderLinesTable {
  id: Generated<number>;
  order_id: number;
  line_no: number;
  product_id: number;
  quantity: number;
  unit_price_cents: number;
  /** Cost at the time of sale, so cost of goods sold does not move when a product's cost changes later. */
  unit_cost_cents: number;
  discount_bp: number;
  line_total_cents: number;
}

export type InvoiceStatus = 'open' | 'paid' | 'void';

export interface InvoicesTable {
  id: Generated<number>;
  invoice_no: string;
  order_id: number;
  customer_id: number;
  issue_date: IsoDate;
  due_date: IsoDate;
  total_cents: number;
  status: InvoiceStatus;
  created_at: Timestamp;
}

export interface PaymentsTable {
  id: Generated<number>;
  invoice_id: number;
  paid_on: IsoDate;
  amount_cents: number;
  method: string;
  created_at: Timestamp;
}

export type AccountType = 'asset' | 'liability' | 'equity' | 'revenue' | 'cogs' | 'expense';

export interface AccountsTable {
  code: string;
  name: string;
  type: AccountType;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  entry_date: IsoDate;
  account_code: string;
  debit_cents: number;
  credit_cents: number;
  /** Business document the entry comes from, e.g. `INV-0000042`, `PAY-0000042`, `EXP-2026-03-RENT`. */
  reference: string;
  description: string | null;
  created_at: Timestamp;
}

export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';

/** One message to one recipient; `payload` is the rendered message (JSON, see src/mail/outbox.ts). */
export interface MailOutboxTable {
  id: Generated<number>;
  message_id: string;
  idempotency_key: string;
  batch_id: string | null;
  kind: string;
  recipient: string;
  domain: string;
  subject: string;
  payload: JsonText;
  status: ColumnType<MailStatus, MailStatus | undefined, MailStatus>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  lease_until: string | null;
  last_error: string | null;
  response_code: number | null;
  sent_at: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type UserRole = 'admin' | 'write' | 'read';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  /** argon2id PHC string. */
  password_hash: string;
  /** Maps one-to-one to the API scope of the same name. */
  role: UserRole;
  /** Consecutive failed sign-ins; reset by a successful one. */
  failed_logins: Generated<number>;
  locked_until: string | null;
  disabled_at: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MailSuppressionsTable {
  address: string;
  reason: string;
  created_at: Timestamp;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface AlertRulesTable {
  id: Generated<number>;
  name: string;
  /** Which measurement (src/alerts/probes.ts). */
  kind: string;
  threshold: number;
  /** Limits queue rules to one queue; null = all. */
  queue: string | null;
  severity: AlertSeverity;
  cooldown_seconds: number;
  /** JSON array of addresses. */
  emails: string;
  webhook_url: string | null;
  /** HMAC-SHA256 key of the webhook signature; never returned by the API. */
  webhook_secret: string | null;
  enabled: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AlertIncidentsTable {
  id: Generated<number>;
  rule_id: number;
  opened_at: string;
  resolved_at: string | null;
  value: number;
  summary: string;
  notify_errors: string | null;
}

export interface SyncSourcesTable {
  id: Generated<number>;
  name: string;
  url: string;
  format: 'json' | 'csv';
  target: 'customers' | 'products' | 'staging';
  /** JSON of the source's pagination, incremental mode, limits and field mapping (src/sync/sources.ts). */
  settings: string;
  credential_header: string | null;
  /** AES-256-GCM sealed credential; never returned by the API. */
  credential_sealed: string | null;
  enabled: Generated<number>;
  etag: string | null;
  last_modified: string | null;
  cursor: string | null;
  high_water: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type SyncRunStatus = 'running' | 'succeeded' | 'not_modified' | 'failed';

export interface SyncRunsTable {
  id: Generated<number>;
  source_id: number;
  task_id: string | null;
  status: SyncRunStatus;
  started_at: string;
  finished_at: string | null;
  pages: Generated<number>;
  rows_read: Generated<number>;
  inserted: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  rejected: Generated<number>;
  /** JSON array of `{ row, key, reasons }`, capped. */
  rejections: Generated<string>;
  error: string | null;
}

export interface SyncStagingTable {
  id: Generated<number>;
  source_id: number;
  record_key: string;
  /** The record as JSON, keys sorted (so an unchanged record compares equal). */
  data: string;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserSessionsTable {
  id: Generated<number>;
  /** SHA-256 (hex) of the session cookie's random token. */
  token_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: string;
}

export interface DatabaseSchema {
  api_keys: ApiKeysTable;
  users: UsersTable;
  user_sessions: UserSessionsTable;
  documents: DocumentsTable;
  document_chunks: DocumentChunksTable;
  document_texts: DocumentTextsTable;
  document_vectors: DocumentVectorsTable;
  customers: CustomersTable;
  products: ProductsTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  invoices: InvoicesTable;
  payments: PaymentsTable;
  accounts: AccountsTable;
  ledger_entries: LedgerEntriesTable;
  mail_outbox: MailOutboxTable;
  mail_suppressions: MailSuppressionsTable;
  alert_rules: AlertRulesTable;
  alert_incidents: AlertIncidentsTable;
  sync_sources: SyncSourcesTable;
  sync_runs: SyncRunsTable;
  sync_staging: SyncStagingTable;
}
