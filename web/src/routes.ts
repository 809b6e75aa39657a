import type { ComponentType } from 'preact';
import type { MessageKey } from './i18n/index.ts';

/** One lazily loaded chunk per page: the shell downloads a page's code only when it is shown. */
export const ROUTES: Record<string, () => Promise<{ default: ComponentType }>> = {
  '/login': () => import('./pages/login.tsx'),
  '/overview': () => import('./pages/overview.tsx'),
  '/tasks': () => import('./pages/tasks.tsx'),
  '/documents': () => import('./pages/documents.tsx'),
  '/search': () => import('./pages/search.tsx'),
  '/reports': () => import('./pages/reports.tsx'),
  '/cache': () => import('./pages/cache.tsx'),
  '/database': () => import('./pages/database.tsx'),
  '/access': () => import('./pages/access.tsx'),
  '/mail': () => import('./pages/mail.tsx'),
  '/settings': () => import('./pages/settings.tsx'),
};

/** The navigation, in order: every page but sign-in. */
export const NAV: readonly { path: string; label: MessageKey }[] = [
  { path: '/overview', label: 'nav.overview' },
  { path: '/documents', label: 'nav.documents' },
  { path: '/search', label: 'nav.search' },
  { path: '/reports', label: 'nav.reports' },
  { path: '/tasks', label: 'nav.tasks' },
  { path: '/cache', label: 'nav.cache' },
  { path: '/database', label: 'nav.database' },
  { path: '/access', label: 'nav.access' },
  { path: '/mail', label: 'nav.mail' },
  { path: '/settings', label: 'nav.settings' },
];

export const HOME = '/overview';
