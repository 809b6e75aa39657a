import { render, type ComponentType } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, session as sessionApi, setCsrfToken, type SessionInfo } from './api.ts';
import { Console, type ConsoleContext } from './context.ts';
import { initialLocale, LOCALES, saveLocale, translate, type Locale } from './i18n/index.ts';
import { HOME, NAV, ROUTES } from './routes.ts';
import './styles.css';

function Shell() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const [path, setPath] = useState(location.pathname);
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [Page, setPage] = useState<ComponentType | null>(null);

  const navigate = useCallback((to: string) => {
    if (to !== location.pathname) history.pushState(null, '', to);
    setPath(to);
  }, []);

  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    saveLocale(locale);
    document.title = translate(locale, 'app.title');
  }, [locale]);

  useEffect(() => {
    sessionApi.current().then(
      (info) => {
        setCsrfToken(info.csrfToken);
        setSession(info);
      },
      (error: unknown) => {
        if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
        setSession(null);
      },
    );
  }, []);

  // Signed out: every page but sign-in leads there. Signed in: sign-in and / lead home.
  const target = session === undefined ? null : session === null ? '/login' : path === '/login' || !(path in ROUTES) ? HOME : path;
  useEffect(() => {
    if (target === null) return;
    if (target !== path) navigate(target);
    const load = ROUTES[target];
    if (!load) return;
    let cancelled = false;
    setPage(null);
    load().then(
      (module) => {
        if (!cancelled) setPage(() => module.default);
      },
      (error: unknown) => console.error(error),
    );
    return () => {
      cancelled = true;
    };
  }, [target, path, navigate]);

  const context = useMemo<ConsoleContext>(
    () => ({
      locale,
      t: (key, params) => translate(locale, key, params),
      session: session ?? null,
      navigate,
      signedIn: (info) => {
        setCsrfToken(info.csrfToken);
        setSession(info);
      },
    }),
    [locale, session, navigate],
  );
  const t = context.t;

  // Narrow screens fold the navigation and the account controls behind one button (a disclosure, not an ARIA
  // menu: they stay ordinary links and buttons). Escape folds it again and gives focus back to that button.
  const [menuOpen, setMenuOpen] = useState(false);
  const menuToggle = useRef<HTMLButtonElement>(null);
  const closeOnEscape = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !menuOpen) return;
    setMenuOpen(false);
    menuToggle.current?.focus();
  };

  const signOut = async (everywhere: boolean) => {
    setMenuOpen(false);
    await (everywhere ? sessionApi.logoutEverywhere() : sessionApi.logout());
    setCsrfToken('');
    setSession(null);
  };

  return (
    <Console.Provider value={context}>
      <header class={`bar${session ? ' signed-in' : ''}${menuOpen ? ' open' : ''}`} onKeyDown={closeOnEscape}>
        <strong>{t('app.title')}</strong>
        {session && (
          <button
            ref={menuToggle}
            type="button"
            class="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="console-menu"
            onClick={() => setMenuOpen((o) => !o)}
          >
            {t('nav.menu')}
          </button>
        )}
        <div id="console-menu" class="menu">
          {session && (
            <nav aria-label={t('nav.main')}>
              {NAV.map((item) => (
                <a
                  key={item.path}
                  href={item.path}
                  aria-current={path === item.path ? 'page' : undefined}
                  onClick={(e) => (e.preventDefault(), setMenuOpen(false), navigate(item.path))}
                >
                  {t(item.label)}
                </a>
              ))}
            </nav>
          )}
          <div class="tools">
            <label>
              {t('nav.language')}{' '}
              <select data-testid="language" value={locale} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
                {LOCALES.map((l) => (
                  <option key={l} value={l}>
                    {l === 'en' ? 'English' : '简体中文'}
                  </option>
                ))}
              </select>
            </label>
            {session && (
              <>
                <span data-testid="whoami" class="whoami">
                  {t('nav.signedInAs', { name: session.user.username, role: session.user.role })}
                </span>
                <button type="button" data-testid="sign-out" onClick={() => void signOut(false)}>
                  {t('nav.signOut')}
                </button>
                <button type="button" onClick={() => void signOut(true)}>
                  {t('nav.signOutEverywhere')}
                </button>
              </>
            )}
          </div>
        </div>
      </header>
      {/* Nothing in main until the session is known: the header settles its height (navigation or not) first. */}
      <main>{Page ? <Page /> : session !== undefined && <p aria-busy="true">{t('app.loading')}</p>}</main>
    </Console.Provider>
  );
}

const mount = document.getElementById('app');
if (mount) render(<Shell />, mount);
