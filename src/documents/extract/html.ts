import { parse, NodeType, type HTMLElement, type Node } from 'node-html-parser';
import type { Block } from './types.ts';
import { cleanLines, collapse } from './whitespace.ts';

const DROP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'svg',
  'canvas',
  'nav',
  'header',
  'footer',
  'aside',
  'form',
  'button',
  'select',
  'head',
  'object',
  'embed',
]);
const DROP_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search']);
const BOILERPLATE =
  /(^|[\s_-])(nav|navbar|menu|footer|header|sidebar|breadcrumbs?|cookies?|banner|advert|ads|share|social|comments?|related|subscribe|newsletter|pagination)([\s_-]|$)/i;
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'body',
  'html',
  'ul',
  'ol',
  'li',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'td',
  'th',
  'pre',
  'blockquote',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'hr',
  'address',
  'center',
]);

const tag = (node: HTMLElement): string => node.rawTagName?.toLowerCase() ?? '';

function isBoilerplate(node: HTMLElement): boolean {
  if (DROP.has(tag(node))) return true;
  const role = node.getAttribute('role');
  if (role && DROP_ROLES.has(role.toLowerCase())) return true;
  if (node.getAttribute('aria-hidden') === 'true' || node.getAttribute('hidden') !== undefined) return true;
  const marker = `${node.getAttribute('class') ?? ''} ${node.getAttribute('id') ?? ''}`;
  return BOILERPLATE.test(marker);
}

/** Inline text of a node (entities decoded, `<br>` kept as a line break), skipping boilerplate inside it. */
function inlineText(node: Node): string {
  if (node.nodeType === NodeType.TEXT_NODE) return node.text;
  if (node.nodeType !== NodeType.ELEMENT_NODE) return '';
  const element = node as HTMLElement;
  if (isBoilerplate(element)) return '';
  if (tag(element) === 'br') return '\n';
  if (tag(element) === 'img') return element.getAttribute('alt') ?? '';
  return element.childNodes.map(inlineText).join('');
}

class BlockWriter {
  readonly blocks: Block[] = [];
  #inline: string[] = [];

  inline(text: string): void {
    this.#inline.push(text);
  }

  flush(): void {
    const text = cleanLines(this.#inline.join(''));
    this.#inline = [];
    if (text !== '') this.blocks.push({ kind: 'paragraph', text });
  }

  add(block: Block): void {
    this.flush();
    if (block.text.trim() !== '') this.blocks.push(block);
  }
}

function listItems(list: HTMLElement, depth: number, out: string[]): void {
  let n = 0;
  for (const child of list.childNodes) {
    if (child.nodeType !== NodeType.ELEMENT_NODE || tag(child as HTMLElement) !== 'li') continue;
    const item = child as HTMLElement;
    n++;
    const own = collapse(
      item.childNodes
        .filter((c) => !(c.nodeType === NodeType.ELEMENT_NODE && ['ul', 'ol'].includes(tag(c as HTMLElement))))
        .map(inlineText)
        .join(''),
    );
    const bullet = tag(list) === 'ol' ? `${n}.` : '-';
    if (own !== '') out.push(`${'  '.repeat(depth)}${bullet} ${own}`);
    for (const nested of item.childNodes) {
      if (nested.nodeType === NodeType.ELEMENT_NODE && ['ul', 'ol'].includes(tag(nested as HTMLElement))) listItems(nested as HTMLElement, depth + 1, out);
    }
  }
}

function tableRows(table: HTMLElement): string {
  return table
    .querySelectorAll('tr')
    .map((row) =>
      row.childNodes
        .filter((c) => c.nodeType === NodeType.ELEMENT_NODE && ['td', 'th'].includes(tag(c as HTMLElement)))
        .map((cell) => collapse(inlineText(cell)))
        .join(' | '),
    )
    .filter((line) => line.replace(/[|\s]/g, '') !== '')
    .join('\n');
}

function walk(node: HTMLElement, out: BlockWriter): void {
  for (const child of node.childNodes) {
    if (child.nodeType === NodeType.TEXT_NODE) {
      out.inline(child.text);
      continue;
    }
    if (child.nodeType !== NodeType.ELEMENT_NODE) continue;
    const element = child as HTMLElement;
    if (isBoilerplate(element)) continue;
    const name = tag(element);
    const heading = /^h([1-6])$/.exec(name);
    if (heading) out.add({ kind: 'heading', level: Number(heading[1]), text: collapse(inlineText(element)) });
    else if (name === 'ul' || name === 'ol') {
      const lines: string[] = [];
      listItems(element, 0, lines);
      out.add({ kind: 'list', text: lines.join('\n') });
    } else if (name === 'table') out.add({ kind: 'table', text: tableRows(element) });
    else if (name === 'pre') out.add({ kind: 'code', text: element.text.replace(/\s+$/, '') });
    else if (name === 'p' || name === 'dt' || name === 'dd' || name === 'figcaption' || name === 'address')
      out.add({ kind: 'paragraph', text: cleanLines(inlineText(element)) });
    else if (BLOCK.has(name)) {
      out.flush();
      walk(element, out);
      out.flush();
    } else out.inline(inlineText(element));
  }
}

export interface HtmlContent {
  blocks: Block[];
  title?: string;
  author?: string;
  created?: string;
  modified?: string;
}

function isoDate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * Readable blocks of an HTML page: headings, paragraphs, lists, tables and code in document order.
 * Boilerplate (navigation, headers, footers, sidebars, scripts, cookie banners) is dropped; when the page
 * has one `<main>` or `<article>`, only that is read.
 */
export function htmlToBlocks(html: string): HtmlContent {
  const root = parse(html, { comment: false, blockTextElements: { script: false, style: false, noscript: false, pre: true } });
  const mains = root.querySelectorAll('main');
  const articles = root.querySelectorAll('article');
  const body = mains.length === 1 ? mains[0] : articles.length === 1 ? articles[0] : (root.querySelector('body') ?? root);
  const writer = new BlockWriter();
  if (body) walk(body, writer);
  writer.flush();
  const meta = (name: string) =>
    root.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? root.querySelector(`meta[property="${name}"]`)?.getAttribute('content');
  const title = collapse(root.querySelector('title')?.text ?? '') || writer.blocks.find((b) => b.kind === 'heading')?.text;
  const author = meta('author') ?? meta('article:author');
  const created = isoDate(meta('article:published_time') ?? meta('date') ?? meta('dcterms.created'));
  const modified = isoDate(meta('article:modified_time') ?? meta('dcterms.modified'));
  return {
    blocks: writer.blocks,
    ...(title ? { title } : {}),
    ...(author ? { author } : {}),
    ...(created ? { created } : {}),
    ...(modified ? { modified } : {}),
  };
}
