import type { ComponentType } from 'preact';

/** One lazily loaded chunk per page: the shell downloads a page's code only when it is shown. */
export const ROUTES: Record<string, () => Promise<{ default: ComponentType }>> = {
  '/login': () => import('./pages/login.tsx'),
  '/overview': () => import('./pages/overview.tsx'),
  '/tasks': () => import('./pages/tasks.tsx'),
};

export const HOME = '/overview';
