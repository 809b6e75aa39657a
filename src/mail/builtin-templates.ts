import type { MailTemplate } from './templates.ts';

const CSS = `
body { font-family: -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1f2933; }
h1 { font-size: 20px; margin: 0 0 12px; }
p { font-size: 14px; line-height: 1.6; margin: 0 0 12px; }
.muted { color: #7b8794; font-size: 12px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 4px; background: #e12d39; color: #ffffff; }
.badge.resolved { background: #27ab83; }
`;

/** The templates the seed's tasks use; applications register their own beside them. */
export const BUILTIN_TEMPLATES: MailTemplate[] = [
  {
    name: 'notification',
    variables: ['title', 'body'],
    css: CSS,
    locales: {
      'en': { subject: '{{title}}', html: '<h1>{{title}}</h1><p>{{body}}</p>' },
      'zh-CN': { subject: '{{title}}', html: '<h1>{{title}}</h1><p>{{body}}</p>' },
    },
  },
  {
    name: 'newsletter',
    variables: ['name', 'title', 'body'],
    css: CSS,
    locales: {
      'en': { subject: '{{title}}', html: '<p>Hello {{name}},</p><h1>{{title}}</h1><p>{{body}}</p><p class="muted">You receive this because you subscribed. Use the unsubscribe link of your mail program to stop.</p>' },
      'zh-CN': { subject: '{{title}}', html: '<p>{{name}}，您好：</p><h1>{{title}}</h1><p>{{body}}</p><p class="muted">您收到此邮件是因为您订阅了我们的通知。可通过邮件客户端的“退订”链接取消订阅。</p>' },
    },
  },
  {
    name: 'report',
    variables: ['report_name', 'period'],
    css: CSS,
    locales: {
      'en': { subject: 'Report: {{report_name}} ({{period}})', html: '<h1>{{report_name}}</h1><p>The report for {{period}} is attached.</p>' },
      'zh-CN': { subject: '报表：{{report_name}}（{{period}}）', html: '<h1>{{report_name}}</h1><p>{{period}} 的报表见附件。</p>' },
    },
  },
  {
    name: 'alert',
    variables: ['rule', 'severity', 'state', 'summary'],
    css: CSS,
    locales: {
      'en': { subject: '[{{state}}] {{rule}} ({{severity}})', html: '<p><span class="badge {{state}}">{{state}}</span></p><h1>{{rule}}</h1><p>{{summary}}</p>' },
      'zh-CN': { subject: '[{{state}}] 告警：{{rule}}（{{severity}}）', html: '<p><span class="badge {{state}}">{{state}}</span></p><h1>{{rule}}</h1><p>{{summary}}</p>' },
    },
  },
];
