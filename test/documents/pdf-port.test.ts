import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { InThreadPdfPort, inThreadPdfWorker } from '../../src/documents/extract/pdf-port.ts';

const pdfjsLib = () => import('pdfjs-dist/legacy/build/pdf.mjs');

/** Everything pdf.js tells about a PDF's text: each page's items, styles and language, the info and the outline. */
async function textOfPdf(bytes: Buffer, throughOurPort: boolean): Promise<string> {
  const pdfjs = await pdfjsLib();
  const worker = throughOurPort ? await inThreadPdfWorker(pdfjs) : undefined;
  const task = pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0, disableFontFace: true, useSystemFonts: false, ...(worker ? { worker } : {}) });
  try {
    const doc = await task.promise;
    const pages: unknown[] = [];
    for (let n = 1; n <= doc.numPages; n++) pages.push(await (await doc.getPage(n)).getTextContent());
    const { info } = await doc.getMetadata();
    const outline = await doc.getOutline();
    // Font names carry the document's number (g_d3_f1), which differs from one loading task to the next.
    return JSON.stringify({ pages, info, outline }).replace(/g_d\d+_/g, 'g_d_');
  } finally {
    await task.destroy();
    worker?.destroy();
  }
}

describe('documents: pdf.js through the in-thread port', () => {
  it('yields the same text items, styles, info and outline as pdf.js through its own port, for every test PDF', async () => {
    const files = await corpus();
    for (const name of ['english.pdf', 'chinese.pdf', 'traditional.pdf', 'mixed.pdf', 'long.pdf', 'scanned.pdf']) {
      const theirs = await textOfPdf(files.bytes(name), false);
      const ours = await textOfPdf(files.bytes(name), true);
      expect(ours.length, name).toBeGreaterThan(100);
      expect(ours, name).toBe(theirs);
    }
    // A real comparison: the 200-page PDF's text is in it.
    expect(await textOfPdf(files.bytes('long.pdf'), true)).toContain('"str":"');
  });

  it('copies every message but a text batch, so the sender may change what it sent', async () => {
    const port = new InThreadPdfPort();
    const received: unknown[] = [];
    port.addEventListener('message', ({ data }) => received.push(data));
    const message = { action: 'GetPage', data: { view: [0, 0, 595, 842] } };
    port.postMessage(message);
    message.data.view[2] = 1;
    const items = [{ str: 'a' }];
    const batch = { stream: 4, chunk: { items, styles: {} } };
    port.postMessage(batch);
    // What pdf.js's worker does once a batch is sent: start new arrays, never touch the sent ones.
    batch.chunk.items = [];
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(received).toEqual([
      { action: 'GetPage', data: { view: [0, 0, 595, 842] } },
      { stream: 4, chunk: { items: [{ str: 'a' }], styles: {} } },
    ]);
    expect((received[1] as typeof batch).chunk.items).toBe(items);
  });

  it('delivers every kind of message as structuredClone would copy it, sharing nothing with the sender', async () => {
    class Point {
      x = 1;
      y = 2;
    }
    const cyclic: Record<string, unknown> = { name: 'cycle' };
    cyclic.self = cyclic;
    const nullPrototype = Object.assign(Object.create(null) as object, { a: 1 });
    // eslint-disable-next-line no-sparse-arrays -- a hole is part of what is copied
    const holes = [1, , 3];
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const messages: unknown[] = [
      { sourceName: 'main', targetName: 'worker', action: 'GetPage', data: { pageIndex: 3 }, callbackId: 7 },
      { values: [0, -0, NaN, Infinity, 'text', true, null, undefined, 10n], nested: { list: [[1], [{ deep: [] }]] } },
      { nullPrototype, holes },
      { bytes: new Uint8Array([1, 2, 3]), map: new Map([['k', 1]]), set: new Set([1]), date: new Date(0) },
      { point: new Point() },
      cyclic,
      deep,
      'a string',
      42,
    ];
    const port = new InThreadPdfPort();
    const received: unknown[] = [];
    port.addEventListener('message', ({ data }) => received.push(data));
    const expected = messages.map((message) => structuredClone(message));
    for (const message of messages) port.postMessage(message);
    // Changing what was sent changes nothing that was received.
    (messages[0] as { data: { pageIndex: number } }).data.pageIndex = 99;
    ((messages[1] as { nested: { list: unknown[][] } }).nested.list[0] as unknown[]).push(2);
    (messages[3] as { bytes: Uint8Array }).bytes[0] = 9;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(received).toHaveLength(messages.length);
    received.forEach((copy, i) => expect(isDeepStrictEqual(copy, expected[i]), `message ${i}`).toBe(true));
    expect(Object.getPrototypeOf((received[2] as { nullPrototype: object }).nullPrototype)).toBe(Object.prototype);
    expect(1 in (received[2] as { holes: unknown[] }).holes).toBe(false);
    expect(received[5]).not.toBe(cyclic);
    expect((received[5] as { self: unknown }).self).toBe(received[5]);
  });

  it('transfers what it is asked to transfer, as structuredClone does', async () => {
    const port = new InThreadPdfPort();
    const received: { bytes: Uint8Array }[] = [];
    port.addEventListener('message', ({ data }) => received.push(data as { bytes: Uint8Array }));
    const bytes = new Uint8Array([1, 2, 3]);
    port.postMessage({ bytes }, [bytes.buffer]);
    expect(bytes.byteLength).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect([...(received[0]?.bytes ?? [])]).toEqual([1, 2, 3]);
    port.terminate();
    port.postMessage({ after: 'terminate' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(received).toHaveLength(1);
  });
});
