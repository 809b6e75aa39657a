/**
 * Background tasks, timed from a client process: how long the caller waits when the work is a task (202 at
 * once) and how long until the work is done, beside the same work answered inline.
 */
import { randomBytes } from 'node:crypto';
import type { SmtpSink } from '../lib/smtp.ts';

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error('timed out waiting for background work');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A text document of about `bytes`, unique per call (the same content would be deduplicated and answered 200). */
function documentBody(bytes: number): Blob {
  const words = ['invoice', 'order', 'customer', 'shipment', 'payment', 'ledger', 'product', 'region', 'margin', 'report'];
  const parts: string[] = [`Document ${randomBytes(8).toString('hex')}\n`];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const sentence = `${words[i % 10]} ${words[(i * 7) % 10]} ${i} ${words[(i * 3) % 10]}.${i % 12 === 0 ? '\n\n' : ' '}`;
    parts.push(sentence);
    size += sentence.length;
  }
  return new Blob(parts, { type: 'text/plain' });
}

export type UploadTiming = {
  /** Until the 202 answer: what the caller waits. */
  acceptedMs: number;
  /** Until the document is `ready` (extracted, chunked, embedded, indexed): what an inline upload would make it wait. */
  readyMs: number;
};

export async function timeUpload(url: string, key: string, bytes: number): Promise<UploadTiming> {
  const form = new FormData();
  form.set('file', documentBody(bytes), `bench-${randomBytes(4).toString('hex')}.txt`);
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } });
  const acceptedMs = performance.now() - started;
  if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  const { document } = (await response.json()) as { document: { id: number } };
  await waitFor(async () => {
    const row = (await (await fetch(`${url}/api/v1/documents/${document.id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string };
    if (row.status === 'failed') throw new Error(`document ${document.id} failed`);
    return row.status === 'ready' ? true : undefined;
  });
  return { acceptedMs, readyMs: performance.now() - started };
}

export type ReportTiming = {
  inlineMs: number;
  acceptedMs: number;
  /** Until the task's result (the XLSX link) is there. */
  doneMs: number;
};

/**
 * The sales report as XLSX over `months` months ending `endDate`: once inline, once with `Prefer: respond-async`.
 * A different end date per call keeps both sides off the query caches.
 */
export async function timeReport(url: string, key: string, endDate: string, inlineFirst: boolean): Promise<ReportTiming> {
  const startDate = `${Number(endDate.slice(0, 4)) - 1}${endDate.slice(4)}`;
  const path = `${url}/api/v1/reports/erp/sales?startDate=${startDate}&endDate=${endDate}&format=xlsx`;
  const headers = { authorization: `Bearer ${key}` };
  const inline = async (): Promise<number> => {
    const started = performance.now();
    const response = await fetch(path, { headers });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`inline report answered ${response.status}`);
    return performance.now() - started;
  };
  const async_ = async (): Promise<{ acceptedMs: number; doneMs: number }> => {
    const started = performance.now();
    const response = await fetch(path, { headers: { ...headers, prefer: 'respond-async' } });
    const acceptedMs = performance.now() - started;
    if (response.status !== 202) throw new Error(`async report answered ${response.status}`);
    const { location } = (await response.json()) as { location: string };
    await waitFor(async () => {
      const task = (await (await fetch(`${url}${location}`, { headers })).json()) as { state: string };
      if (task.state === 'FAILURE') throw new Error('report task failed');
      return task.state === 'SUCCESS' ? true : undefined;
    });
    return { acceptedMs, doneMs: performance.now() - started };
  };
  if (inlineFirst) {
    const inlineMs = await inline();
    return { inlineMs, ...(await async_()) };
  }
  const timed = await async_();
  return { inlineMs: await inline(), ...timed };
}

export type MailTiming = {
  /** Until the 202: the `emails.send_email` task is queued; its worker writes the outbox row and sends. */
  acceptedMs: number;
  /** Until the SMTP server accepted the message, by the server's own timestamp: what a caller sending inline would wait. */
  deliveredMs: number;
};

/** Wall clock in ms with sub-millisecond resolution, comparable with the SMTP sink's receipt stamps (another process). */
const wallNow = (): number => performance.timeOrigin + performance.now();

/** One email through the public task API (`POST /admin/tasks/apply/emails.send_email`) to a recipient unique per call. */
export async function timeMail(url: string, key: string, sink: SmtpSink): Promise<MailTiming> {
  const to = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const args = { to, subject: 'Order confirmed', text: 'Your order 42 has been confirmed.' };
  const started = wallNow();
  const response = await fetch(`${url}/admin/tasks/apply/emails.send_email`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ args }),
  });
  const body = await response.text();
  const acceptedMs = wallNow() - started;
  if (response.status !== 202) throw new Error(`send_email answered ${response.status}: ${body}`);
  return { acceptedMs, deliveredMs: (await sink.receivedAt(to)) - started };
}
