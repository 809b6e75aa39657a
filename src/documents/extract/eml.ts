import { UnreadableDocumentError } from './errors.ts';
import { htmlToBlocks } from './html.ts';
import type { Block, ExtractedDocument } from './types.ts';

/** An e-mail: the subject as its title and heading, the sender as author, the HTML (or text) body, attachment names. */
export async function extractEml(bytes: Buffer): Promise<ExtractedDocument> {
  // Imported on the first e-mail (in the extraction process), not with the module the main thread re-exports.
  const { simpleParser } = await import('mailparser');
  let mail;
  try {
    mail = await simpleParser(bytes, { skipImageLinks: true, skipTextToHtml: true });
  } catch (error) {
    throw new UnreadableDocumentError(`the e-mail cannot be parsed: ${(error as Error).message}`, error);
  }
  const blocks: Block[] = [];
  const subject = mail.subject?.trim();
  if (subject) blocks.push({ kind: 'heading', level: 1, text: subject });
  const from = mail.from?.text;
  const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : mail.to?.text;
  const header = [from ? `From: ${from}` : '', to ? `To: ${to}` : '', mail.date ? `Date: ${mail.date.toISOString()}` : ''].filter(Boolean).join('\n');
  if (header) blocks.push({ kind: 'paragraph', text: header });
  if (typeof mail.html === 'string' && mail.html.trim() !== '') blocks.push(...htmlToBlocks(mail.html).blocks);
  else if (mail.text) for (const part of mail.text.split(/\r?\n\s*\r?\n/)) if (part.trim()) blocks.push({ kind: 'paragraph', text: part.trim() });
  const attachments = mail.attachments.map((a) => a.filename).filter((name): name is string => Boolean(name));
  if (attachments.length > 0) blocks.push({ kind: 'list', text: attachments.map((name) => `- ${name}`).join('\n') });
  return {
    type: 'eml',
    blocks,
    ...(subject ? { title: subject } : {}),
    ...(from ? { author: from } : {}),
    ...(mail.date ? { created: mail.date.toISOString() } : {}),
    warnings: [],
  };
}
