import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import pptxgenjs from 'pptxgenjs';

const run = promisify(execFile);

/** Sentences the tests look for in the extracted text and chunks. */
export const TEXT = {
  enPage2: 'The warehouse in Rotterdam lowered shipping costs by a third.',
  enPage1: 'The revenue grew by 12.5% in Q3, see https://example.com/q3.report?v=2 for details.',
  zhHans: '今年的收入增长了百分之十二。我们的客户遍布全国！明年会更好吗？我们相信会；因为团队很强。',
  zhHant: '這個資料庫的設計非常優秀。我們會繼續維護這個專案，並且歡迎大家參與開發。',
  mixed: '我们使用 PostgreSQL 和 Redis 构建 AI Stack 平台。The platform serves reports to 客户 every day.',
} as const;

const page = (title: string, body: string, author = '') =>
  `<html><head><meta charset="utf-8"><title>${title}</title>${author ? `<meta name="author" content="${author}">` : ''}</head><body>${body}</body></html>`;

/** Source HTML converted by LibreOffice (Writer import filter, so page breaks and headings carry over). */
const OFFICE_SOURCES: Record<string, string> = {
  english: page('Quarterly Report', `<h1>Quarterly Report</h1><p>${TEXT.enPage1}</p><p>Sales were strong in every region.</p><h2 style="page-break-before: always">Costs</h2><p>${TEXT.enPage2}</p>`, 'Alice Smith'),
  chinese: page('年度报告', `<h1>年度报告</h1><p>${TEXT.zhHans}</p><h2>成本</h2><p>成本下降了。物流费用减少了三分之一。</p><ul><li>第一项</li><li>第二项</li></ul>`, '张伟'),
  traditional: page('專案說明', `<h1>專案說明</h1><p>${TEXT.zhHant}</p>`),
  mixed: page('Mixed 混合', `<h1>平台 Platform</h1><p>${TEXT.mixed}</p>`),
};

async function office(dir: string, to: 'pdf' | 'docx', names: string[]): Promise<void> {
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  for (const name of names) writeFileSync(join(src, `${name}.html`), OFFICE_SOURCES[name] ?? '');
  const target = to === 'docx' ? 'docx:MS Word 2007 XML' : 'pdf:writer_pdf_Export';
  // Own profile directory: concurrent soffice runs sharing ~/.config/libreoffice block each other.
  await run('soffice', [`-env:UserInstallation=file://${join(dir, 'lo-profile')}`, '--headless', '--infilter=HTML (StarWriter)', '--convert-to', target, '--outdir', dir, ...names.map((n) => join(src, `${n}.html`))], { timeout: 180_000 });
}

async function xlsx(path: string): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = '李娜';
  workbook.title = '销售数据';
  const sheet = workbook.addWorksheet('销售');
  sheet.addRow(['地区', '产品', '金额']);
  sheet.addRow(['华东', '笔记本电脑', 12500]);
  sheet.addRow(['华南', '显示器', 3200.5]);
  workbook.addWorksheet('Notes').addRow(['Quarterly targets were met in the north region']);
  await workbook.xlsx.writeFile(path);
}

async function pptx(path: string): Promise<void> {
  // pptxgenjs's default export types do not resolve as a class under NodeNext; at run time it is one.
  const Deck = pptxgenjs as unknown as new () => { title: string; author: string; addSlide(): { addText(text: string, options: Record<string, number>): void }; writeFile(o: { fileName: string }): Promise<string> };
  const deck = new Deck();
  deck.title = 'Roadmap';
  deck.author = 'Bob';
  deck.addSlide().addText('Roadmap 2026', { x: 1, y: 1, w: 8, h: 1, fontSize: 32 });
  deck.addSlide().addText('Launch the search service in the second quarter.', { x: 1, y: 1, w: 8, h: 1 });
  await deck.writeFile({ fileName: path });
}

/** An image-only PDF: page 1 of the English PDF rasterised by poppler, embedded by pdf-lib, no text layer. */
async function scanned(dir: string, source: string, path: string): Promise<void> {
  await run('pdftoppm', ['-png', '-r', '40', '-f', '1', '-l', '1', source, join(dir, 'scan')]);
  const png = readdirSync(dir).find((f) => f.startsWith('scan') && f.endsWith('.png'));
  const pdf = await PDFDocument.create();
  const image = await pdf.embedPng(readFileSync(join(dir, png ?? 'missing.png')));
  pdf.addPage([image.width, image.height]).drawImage(image, { x: 0, y: 0, width: image.width, height: image.height });
  writeFileSync(path, await pdf.save());
}

/** A long PDF written by pdf-lib: page N says "This is page N of the long report." */
export async function longPdf(pages: number): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= pages; n++) {
    const p = pdf.addPage([400, 300]);
    p.drawText(`This is page ${n} of the long report.`, { x: 30, y: 250, size: 12, font });
    p.drawText(`Section ${n} explains item number ${n * 7} in detail.`, { x: 30, y: 220, size: 12, font });
  }
  pdf.setTitle('Long report');
  return pdf.save();
}

const EML = [
  'From: "王芳" <wang@example.com>',
  'To: team@example.com',
  'Subject: =?UTF-8?B?' + Buffer.from('项目进度更新').toString('base64') + '?=',
  'Date: Tue, 01 Dec 2026 09:30:00 +0800',
  'Message-ID: <progress-1@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=UTF-8',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('大家好，\n\n搜索服务已经完成测试。下周开始部署。\n').toString('base64'),
  '',
].join('\r\n');

export interface Corpus {
  dir: string;
  path(name: string): string;
  bytes(name: string): Buffer;
}

let built: Promise<Corpus> | undefined;

/** Real files made by real writers (LibreOffice, exceljs, pptxgenjs, pdf-lib, iconv-lite), built once per test process. */
export function corpus(): Promise<Corpus> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-corpus-'));
    await Promise.all([office(dir, 'pdf', ['english', 'chinese', 'traditional', 'mixed']).then(() => office(join(dir, 'docx'), 'docx', ['chinese', 'english'])), xlsx(join(dir, 'sales.xlsx')), pptx(join(dir, 'roadmap.pptx'))]);
    await scanned(dir, join(dir, 'english.pdf'), join(dir, 'scanned.pdf'));
    writeFileSync(join(dir, 'long.pdf'), await longPdf(200));
    writeFileSync(join(dir, 'notes-gb18030.txt'), iconv.encode(`${TEXT.zhHans}\n\n第二段：系统运行稳定。`, 'gb18030'));
    writeFileSync(join(dir, 'notes-big5.txt'), iconv.encode(`${TEXT.zhHant}\n\n第二段：系統運行穩定。`, 'big5'));
    writeFileSync(join(dir, 'notes-utf16.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(`${TEXT.mixed}\n`, 'utf-16le')]));
    writeFileSync(join(dir, 'table-gbk.csv'), iconv.encode('城市,人口,面积\n北京,2189,16410\n上海,2487,6340\n', 'gbk'));
    writeFileSync(join(dir, 'guide.md'), `# 使用指南\n\nAI Stack 是一个**知识库**平台。\n\n## Install\n\n- Run \`npm install\`\n- Start the service\n\n| key | value |\n|---|---|\n| port | 3000 |\n`);
    writeFileSync(join(dir, 'page.html'), page('News', `<nav><a href="/">Home</a> | <a href="/about">About</a></nav><header class="site-header">Site banner text</header><main><article><h1>Storage prices fall</h1><p>${TEXT.enPage2}</p></article></main><footer>Copyright footer text</footer><script>var tracking = 1;</script>`));
    writeFileSync(join(dir, 'progress.eml'), EML);
    return { dir, path: (name) => join(dir, name), bytes: (name) => readFileSync(join(dir, name)) };
  })();
  return built;
}
