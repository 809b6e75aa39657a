import type { MailTemplate } from './templates.ts';

const CSS = `
body { font-family: -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1f2933; }
h1 { font-size: 20px; margin: 0 0 12px; }
p { font-size: 14px; line-height: 1.6; margin: 0 0 12px; }
.muted { color: #7b8794; font-size: 12px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 4px; background: #e12d39; color: #ffffff; }
.badge.resolved { background: #27ab83; }
`;

type LocalePart = { subject: string; html: string };

/** Every built-in template shares the stylesheet and comes in English and Chinese. */
function builtin(name: string, variables: string[], en: LocalePart, zhCN: LocalePart): MailTemplate {
  return { name, variables, css: CSS, locales: { en: en, 'zh-CN': zhCN } };
}

/** The templates the seed's tasks use; applications register their own beside them. */
export const BUILTIN_TEMPLATES: MailTemplate[] = [
  builtin(
    'notification',
    ['title', 'body'],
    { subject: '{{title}}', html: '<h1>{{title}}</h1><p>{{body}}</p>' },
    { subject: '{{title}}', html: '<h1>{{title}}</h1><p>{{body}}</p>' },
  ),
  builtin(
    'newsletter',
    ['name', 'title', 'body'],
    {
      subject: '{{title}}',
      html: '<p>Hello {{name}},</p><h1>{{title}}</h1><p>{{body}}</p><p class="muted">You receive this because you subscribed. Use the unsubscribe link of your mail program to stop.</p>',
    },
    {
      subject: '{{title}}',
      html: '<p>{{name}}，您好：</p><h1>{{title}}</h1><p>{{body}}</p><p class="muted">您收到此邮件是因为您订阅了我们的通知。可通过邮件客户端的“退订”链接取消订阅。</p>',
    },
  ),
  builtin(
    'report',
    ['report_name', 'period'],
    { subject: 'Report: {{report_name}} ({{period}})', html: '<h1>{{report_name}}</h1><p>The report for {{period}} is attached.</p>' },
    { subject: '报表：{{report_name}}（{{period}}）', html: '<h1>{{report_name}}</h1><p>{{period}} 的报表见附件。</p>' },
  ),
  builtin(
    'alert',
    ['rule', 'severity', 'state', 'summary'],
    { subject: '[{{state}}] {{rule}} ({{severity}})', html: '<p><span class="badge {{state}}">{{state}}</span></p><h1>{{rule}}</h1><p>{{summary}}</p>' },
    { subject: '[{{state}}] 告警：{{rule}}（{{severity}}）', html: '<p><span class="badge {{state}}">{{state}}</span></p><h1>{{rule}}</h1><p>{{summary}}</p>' },
  ),
];
