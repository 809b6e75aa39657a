import { fileTypeFromBuffer } from 'file-type';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { sniffCommonType } from '../../src/documents/extract/sniff.ts';

const CONTENT_TYPES = (main: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/main.xml" ContentType="${main}.main+xml"/></Types>`;
const WORD = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

async function zip(entries: [string, string][], options: { compress: boolean; streamFiles: boolean }): Promise<Buffer> {
  const archive = new JSZip();
  for (const [name, text] of entries) archive.file(name, text);
  return archive.generateAsync({ type: 'nodebuffer', compression: options.compress ? 'DEFLATE' : 'STORE', streamFiles: options.streamFiles });
}

/** The sniffer answers only where file-type gives the same answer; otherwise it defers (undefined). */
async function expectAgreement(bytes: Buffer, expected: string | undefined): Promise<void> {
  const head = bytes.subarray(0, 256 * 1024);
  const sniffed = sniffCommonType(head);
  const found = await fileTypeFromBuffer(head);
  if (sniffed !== undefined) expect(sniffed).toBe(found?.ext);
  expect(sniffed).toBe(expected);
}

describe('documents: fast type sniffing agrees with file-type', () => {
  it('answers for every PDF and Office file of the corpus, as file-type does', async () => {
    const files = await corpus();
    const expected: Record<string, string | undefined> = {
      'english.pdf': 'pdf',
      'long.pdf': 'pdf',
      'scanned.pdf': 'pdf',
      'docx/chinese.docx': 'docx',
      'docx/english.docx': 'docx',
      'sales.xlsx': 'xlsx',
      'roadmap.pptx': 'pptx',
      'guide.md': undefined,
      'notes-gb18030.txt': undefined,
      'page.html': undefined,
    };
    for (const [name, type] of Object.entries(expected)) await expectAgreement(files.bytes(name), type);
  });

  for (const compress of [true, false])
    for (const streamFiles of [true, false]) {
      const how = `${compress ? 'deflated' : 'stored'}, sizes ${streamFiles ? 'in data descriptors' : 'in local headers'}`;
      it(`reads [Content_Types].xml wherever it stands (${how})`, async () => {
        await expectAgreement(
          await zip(
            [
              ['_rels/.rels', '<r/>'],
              ['word/document.xml', '<w/>'],
              ['[Content_Types].xml', CONTENT_TYPES(WORD)],
            ],
            { compress, streamFiles },
          ),
          'docx',
        );
      });
      it(`defers when file-type decides otherwise (${how})`, async () => {
        const deferred: [string, string][][] = [
          // Macro-enabled Word is docm to file-type (refused by the service), not docx.
          [
            ['[Content_Types].xml', CONTENT_TYPES('application/vnd.ms-word.document.macroEnabled')],
            ['word/document.xml', '<w/>'],
          ],
          // An EPUB, a JAR and a plain ZIP with a word/ folder but no content types.
          [
            ['mimetype', 'application/epub+zip'],
            ['[Content_Types].xml', CONTENT_TYPES(WORD)],
          ],
          [
            ['META-INF/MANIFEST.MF', 'Manifest-Version: 1.0'],
            ['[Content_Types].xml', CONTENT_TYPES(WORD)],
          ],
          [['word/document.xml', '<w/>']],
        ];
        for (const entries of deferred) await expectAgreement(await zip(entries, { compress, streamFiles }), undefined);
      });
    }

  it('defers on a ZIP cut before its content types, and on bytes that only look like one', async () => {
    const whole = await zip(
      [
        ['word/document.xml', 'x'.repeat(300_000)],
        ['[Content_Types].xml', CONTENT_TYPES(WORD)],
      ],
      { compress: false, streamFiles: false },
    );
    expect(sniffCommonType(whole.subarray(0, 256 * 1024))).toBeUndefined();
    expect(sniffCommonType(Buffer.from('PK\x03\x04garbage', 'latin1'))).toBeUndefined();
    expect(sniffCommonType(Buffer.alloc(0))).toBeUndefined();
    const corrupt = await zip([['[Content_Types].xml', CONTENT_TYPES(WORD)]], { compress: true, streamFiles: false });
    corrupt.fill(0xff, 60, 90); // inside the deflated data
    expect(() => sniffCommonType(corrupt)).not.toThrow();
  });
});
