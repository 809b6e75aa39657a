import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, startTracing, type Tracing } from '../../src/telemetry/index.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/**
 * One trace across API → queue → worker → database: the request's server span, the task's send (producer)
 * span, the worker's run (consumer) span continued from the `traceparent` carried in the task's envelope,
 * and the statements and cache calls under them. Spans go to an in-process exporter.
 */
describe('OpenTelemetry tracing across the API, the queue and the worker', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | undefined;
  let svc: TestService;
  beforeAll(async () => {
    tracing = startTracing({}, exporter);
    svc = await startTestService('sqlite');
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc?.cleanup();
    await tracing?.shutdown();
  });

  it('is off unless OTEL_* variables ask for an exporter', () => {
    expect(startTracing({})).toBeUndefined();
    expect(startTracing({ OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(startTracing({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBeUndefined();
  });

  it('an upload continues the caller’s trace through its processing task into the worker’s statements', { timeout: 60_000 }, async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const form = new FormData();
    form.append('file', new Blob(['追踪测试：一个请求，一个任务，一个工作进程。Tracing crosses processes.']), 'trace.txt');
    const res = await svc.call('/api/v1/documents', { method: 'POST', body: form, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.status).toBe(202);
    const { document } = (await res.json()) as { document: { id: number } };
    await expect
      .poll(async () => ((await (await svc.call(`/api/v1/documents/${document.id}`)).json()) as { status: string }).status, { timeout: 30_000 })
      .toBe('ready');
    // The task goes on after the document is ready (it indexes the chunks for search): wait for its run span to end.
    const finished = (name: string) => exporter.getFinishedSpans().some((s) => s.spanContext().traceId === traceId && s.name === name);
    await expect.poll(() => finished('run documents.process_document_upload'), { timeout: 30_000 }).toBe(true);
    await tracing?.flush();

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan): ReadableSpan | undefined => byId.get(s.parentSpanContext?.spanId ?? '');
    const server = spans.find((s) => s.name === 'POST /api/v1/documents');
    const send = spans.find((s) => s.name === 'send documents.process_document_upload');
    const run = spans.find((s) => s.name === 'run documents.process_document_upload');
    expect(server?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(send && parentOf(send)).toBe(server);
    expect(run && parentOf(run)).toBe(send);
    // The worker's statements are children (or deeper descendants) of its run span.
    const underRun = spans
      .filter((s) => Number(s.kind) === Number(SpanKind.CLIENT) && s.attributes['db.system.name'] === 'sqlite')
      .filter((s) => {
        for (let p = parentOf(s); p; p = parentOf(p)) if (p === run) return true;
        return false;
      });
    expect(underRun.length).toBeGreaterThan(0);
    expect(underRun.some((s) => /^(INSERT|UPDATE)/.test(String(s.attributes['db.operation.name'])))).toBe(true);
    // The request's own statements (the document row) belong to the server span's subtree too.
    expect(spans.some((s) => s.attributes['db.operation.name'] === 'INSERT' && parentOf(s) !== undefined)).toBe(true);
  });

  it('a cached list request shows its cache calls under the server span', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await svc.call('/api/v1/customers?limit=3', { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    expect(res.status).toBe(200);
    await tracing?.flush();
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = spans.find((s) => s.name === 'GET /api/v1/customers');
    const cacheCalls = spans.filter((s) => s.name.startsWith('cache '));
    expect(cacheCalls.length).toBeGreaterThan(0);
    expect(cacheCalls.every((s) => s.parentSpanContext?.spanId === server?.spanContext().spanId)).toBe(true);
  });
});
