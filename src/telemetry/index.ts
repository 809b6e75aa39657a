import { createRequire } from 'node:module';
import { context, INVALID_SPAN_CONTEXT, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type * as ContextAsyncHooks from '@opentelemetry/context-async-hooks';
import type * as Core from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/**
 * OpenTelemetry traces across processes: HTTP requests, the tasks they enqueue (W3C `traceparent` carried in
 * the task's envelope), the worker's run, its database statements and cache calls. Off by default: the
 * official Node SDK starts only when the standard `OTEL_*` variables ask for an exporter, so an untraced
 * process pays one boolean check per span site.
 */
export { SpanKind } from '@opentelemetry/api';

let enabled = false;
// The SDK (about 180 modules, 4 MB of heap: exporters, protobuf transformers, metrics) loads only when tracing
// starts; an untraced process needs the API alone. Its CommonJS build keeps startTracing synchronous; it shares the
// API's global registry with the ES module build imported above.
const load = createRequire(import.meta.url);
const tracer = () => trace.getTracer('ai-stack');

export interface Tracing {
  /** Exports what is buffered and stops; call on shutdown. */
  shutdown(): Promise<void>;
  /** Exports what is buffered now (tests). */
  flush(): Promise<void>;
}

/**
 * Starts tracing when asked: `OTEL_TRACES_EXPORTER=otlp|console`, or an `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`
 * (the exporter reads endpoint and headers from the standard variables itself); `OTEL_SDK_DISABLED=true` wins.
 * `exporter` (tests) registers that exporter with synchronous export instead. Undefined when off.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env, exporter?: SpanExporter): Tracing | undefined {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const kind = env.OTEL_TRACES_EXPORTER?.trim();
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (exporter === undefined && (kind === undefined || kind === 'none') && endpoint === undefined) return undefined;
  const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider } = load('@opentelemetry/sdk-trace') as typeof SdkTrace;
  const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  const { resourceFromAttributes } = load('@opentelemetry/resources') as typeof Resources;
  const { AsyncLocalStorageContextManager } = load('@opentelemetry/context-async-hooks') as typeof ContextAsyncHooks;
  const { W3CTraceContextPropagator } = load('@opentelemetry/core') as typeof Core;
  const processor =
    exporter !== undefined
      ? new SimpleSpanProcessor({ exporter })
      : new BatchSpanProcessor({ exporter: kind === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter() });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'ai-stack' }),
    spanProcessors: [processor],
  });
  // AsyncLocalStorage carries the active span across awaits; W3C trace context crosses processes.
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  enabled = true;
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      enabled = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** Runs `work` in a new span (child of the active one, or of `parent`), recording a thrown error. */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!enabled) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** A span for something that already happened (a database statement timed by its driver). */
export function recordSpan(
  name: string,
  startEpochMs: number,
  endEpochMs: number,
  options: { kind?: SpanKind; attributes?: Attributes; failed?: boolean },
): void {
  if (!enabled) return;
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, startTime: startEpochMs, ...(options.attributes ? { attributes: options.attributes } : {}) },
    context.active(),
  );
  if (options.failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(endEpochMs);
}

/** The active trace as W3C headers (`traceparent`, `tracestate`), to carry in a message; empty when off. */
export function traceCarrier(): Record<string, string> | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/** The context a carried `traceparent` continues (the root context when there is none). */
export function contextFrom(carrier: Record<string, unknown> | undefined): Context {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(carrier ?? {})) if (typeof value === 'string') headers[key] = value;
  return propagation.extract(context.active(), headers);
}

export { context as traceContext, trace as traceApi };
