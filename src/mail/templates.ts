import { createRequire } from 'node:module';
import type Handlebars from 'handlebars';
import type * as HtmlToText from 'html-to-text';
import { TemplateError } from './errors.ts';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** One template in one language: a subject and an HTML body (Handlebars); the text part is derived from it. */
export interface LocalizedTemplate {
  subject: string;
  html: string;
}

export interface MailTemplate {
  name: string;
  /** Variables the caller must give; others used by the template are checked at render time too (strict mode). */
  variables: string[];
  css?: string;
  locales: Partial<Record<Locale, LocalizedTemplate>>;
}

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

export type TemplateVars = Record<string, unknown>;

// juice (with cheerio), html-to-text and Handlebars load with the first mail rendered, not with every process.
const load = createRequire(import.meta.url);
const juice = (html: string): string => (load('juice') as { default: (html: string) => string }).default(html);
const convert: typeof HtmlToText.convert = (html, options) => (load('html-to-text') as typeof HtmlToText).convert(html, options);

const TEXT_OPTIONS = { wordwrap: 78, selectors: [{ selector: 'a', options: { hideLinkHrefIfSameAsText: true } }] };

interface Compiled {
  subject: HandlebarsTemplateDelegate;
  html: HandlebarsTemplateDelegate;
  css: string | undefined;
}

/**
 * Templates by name. Handlebars' strict mode makes a missing variable an error instead of an
 * empty string; juice inlines the CSS (mail clients drop <style>); html-to-text writes the text part.
 */
export class TemplateRegistry {
  #handlebars: typeof Handlebars | undefined;
  readonly #templates = new Map<string, MailTemplate>();
  readonly #compiled = new Map<string, Compiled>();

  constructor(templates: MailTemplate[] = []) {
    for (const t of templates) this.register(t);
  }

  register(template: MailTemplate): void {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(template.name)) throw new TemplateError(`template name "${template.name}" must be short lower-case`);
    this.#templates.set(template.name, template);
    for (const key of [...this.#compiled.keys()]) if (key.startsWith(`${template.name}\u0000`)) this.#compiled.delete(key);
  }

  names(): string[] {
    return [...this.#templates.keys()].sort();
  }

  get(name: string): MailTemplate {
    const template = this.#templates.get(name);
    if (!template) throw new TemplateError(`unknown template "${name}"`, [{ field: 'template', message: `one of ${this.names().join(', ')}` }]);
    return template;
  }

  render(name: string, locale: Locale, vars: TemplateVars): RenderedMail {
    const template = this.get(name);
    const missing = template.variables.filter((v) => vars[v] === undefined || vars[v] === null);
    if (missing.length > 0)
      throw new TemplateError(
        `template "${name}" needs ${missing.join(', ')}`,
        missing.map((v) => ({ field: `vars/${v}`, message: 'is required' })),
      );
    const compiled = this.#compile(template, locale);
    try {
      const subject = compiled
        .subject(vars)
        .replace(/[\r\n]+/g, ' ')
        .trim();
      const body = compiled.html(vars);
      const styled = compiled.css ? `<style>${compiled.css}</style>${body}` : body;
      const html = juice(`<!doctype html><html><head><meta charset="utf-8"></head><body>${styled}</body></html>`);
      const text = convert(body, TEXT_OPTIONS);
      return { subject, html, text };
    } catch (error) {
      // Handlebars strict mode: `"name" not defined in [object Object] - 1:6`.
      const message = error instanceof Error ? error.message : String(error);
      const variable = /"([^"]+)" not defined/.exec(message)?.[1];
      throw new TemplateError(
        `template "${name}" (${locale}): ${variable ? `variable "${variable}" is missing` : message}`,
        variable ? [{ field: `vars/${variable}`, message: 'is required' }] : [],
      );
    }
  }

  /** The plain-text part for a caller's own HTML. */
  textOf(html: string): string {
    return convert(html, TEXT_OPTIONS);
  }

  get #hbs(): typeof Handlebars {
    this.#handlebars ??= (load('handlebars') as typeof Handlebars).create();
    return this.#handlebars;
  }

  #compile(template: MailTemplate, locale: Locale): Compiled {
    const key = `${template.name}\u0000${locale}`;
    let compiled = this.#compiled.get(key);
    if (!compiled) {
      const localized = template.locales[locale];
      if (!localized)
        throw new TemplateError(`template "${template.name}" has no "${locale}" version`, [
          { field: 'locale', message: `one of ${Object.keys(template.locales).join(', ')}` },
        ]);
      compiled = {
        subject: this.#hbs.compile(localized.subject, { strict: true, noEscape: true }),
        html: this.#hbs.compile(localized.html, { strict: true }),
        css: template.css,
      };
      this.#compiled.set(key, compiled);
    }
    return compiled;
  }
}

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}
