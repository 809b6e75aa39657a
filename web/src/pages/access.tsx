import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { useConsole } from '../context.ts';
import { formatTime } from '../i18n/index.ts';

interface User {
  id: number;
  username: string;
  role: string;
  lockedUntil: string | null;
  createdAt: string;
}

interface Key {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const ROLES = ['read', 'write', 'admin'] as const;

/** People who sign in, and API keys (the secret is shown once, at creation). */
export default function Access() {
  const { t, locale } = useConsole();
  const [users, setUsers] = useState<User[] | null>(null);
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const guard = (work: () => Promise<unknown>) => work().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  const load = () =>
    guard(async () => {
      const [u, k] = await Promise.all([api<{ data: User[] }>('/admin/users'), api<{ data: Key[] }>('/admin/keys')]);
      setUsers(u.data);
      setKeys(k.data);
    });
  useEffect(() => void load(), []);
  /** A form's submit: its fields to `work`, then the form cleared and the lists reloaded. */
  const submit = (work: (data: FormData) => Promise<unknown>) => (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    void guard(async () => {
      await work(new FormData(form));
      form.reset();
      await load();
    });
  };
  const field = (data: FormData, name: string) => {
    const value = data.get(name);
    return typeof value === 'string' ? value : '';
  };
  const when = (iso: string | null) => (iso ? formatTime(locale, Date.parse(iso)) : '–');

  if ((!users || !keys) && !error) return <p aria-busy="true">{t('app.loading')}</p>;
  return (
    <section data-testid="access">
      <h1>{t('access.title')}</h1>
      {error && (
        <p role="alert" class="error">
          {t('app.error', { message: error })}
        </p>
      )}
      <h2>{t('access.users')}</h2>
      <DataTable
        caption={t('access.users')}
        hideCaption
        testId="users"
        columns={[
          { header: t('login.username'), rowHeader: true, cell: (u: User) => u.username },
          { header: t('access.role'), cell: (u) => u.role },
          { header: t('access.locked'), cell: (u) => when(u.lockedUntil) },
          { header: t('documents.created'), cell: (u) => when(u.createdAt) },
        ]}
        rows={users ?? []}
        rowKey={(u) => u.id}
      />
      <form
        class="row"
        onSubmit={submit((data) =>
          api('/admin/users', { method: 'POST', json: { username: field(data, 'username'), password: field(data, 'password'), role: field(data, 'role') } }),
        )}
      >
        <label>
          {t('login.username')} <input name="username" required maxLength={64} autocomplete="off" />
        </label>
        <label>
          {t('login.password')} <input name="password" type="password" required minLength={12} maxLength={1024} autocomplete="new-password" />
        </label>
        <label>
          {t('access.role')}{' '}
          <select name="role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('access.addUser')}</button>
      </form>
      <h2>{t('access.keys')}</h2>
      {secret && (
        <p role="status" data-testid="new-key">
          {t('access.secretOnce')} <code>{secret}</code>
        </p>
      )}
      <DataTable
        caption={t('access.keys')}
        hideCaption
        testId="keys"
        columns={[
          { header: t('access.keyName'), rowHeader: true, cell: (k: Key) => k.name },
          { header: t('access.prefix'), cell: (k) => <code>{k.prefix}</code> },
          { header: t('access.scopes'), cell: (k) => k.scopes.join(', ') },
          { header: t('access.lastUsed'), cell: (k) => when(k.lastUsedAt) },
          {
            header: t('tasks.actions'),
            cell: (k) =>
              k.revokedAt ? (
                t('access.revoked')
              ) : (
                <button
                  type="button"
                  class="danger"
                  aria-label={t('access.revokeKey', { name: k.name })}
                  onClick={() => void guard(async () => (await api(`/admin/keys/${k.id}`, { method: 'DELETE' }), await load()))}
                >
                  {t('tasks.revoke')}
                </button>
              ),
          },
        ]}
        rows={keys ?? []}
        rowKey={(k) => k.id}
      />
      <form
        class="row"
        onSubmit={submit(async (data) => {
          const created = await api<{ key: string }>('/admin/keys', { method: 'POST', json: { name: field(data, 'name'), scopes: [field(data, 'scope')] } });
          setSecret(created.key);
        })}
      >
        <label>
          {t('access.keyName')} <input name="name" required maxLength={100} autocomplete="off" />
        </label>
        <label>
          {t('access.scope')}{' '}
          <select name="scope">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('access.addKey')}</button>
      </form>
    </section>
  );
}
