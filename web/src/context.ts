import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { SessionInfo } from './api.ts';
import type { Locale, MessageKey } from './i18n/index.ts';

export interface ConsoleContext {
  locale: Locale;
  t: (key: MessageKey, params?: Record<string, string | number>) => string;
  session: SessionInfo | null;
  navigate: (path: string) => void;
  signedIn: (info: SessionInfo) => void;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (value === null) throw new Error('useConsole outside the console shell');
  return value;
}
