import { useState } from 'preact/hooks';
import { ApiError, session } from '../api.ts';
import { useConsole } from '../context.ts';

export default function Login() {
  const { t, signedIn } = useConsole();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      signedIn(await session.login(field(form, 'username'), field(form, 'password')));
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 429
          ? t('login.locked')
          : e instanceof ApiError && e.status === 401
            ? t('login.failed')
            : t('app.error', { message: e instanceof Error ? e.message : String(e) }),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card login" onSubmit={(e) => void submit(e)} data-testid="login-form">
      <h1>{t('login.title')}</h1>
      <label>
        {t('login.username')}
        <input name="username" autocomplete="username" required maxLength={64} />
      </label>
      <label>
        {t('login.password')}
        <input name="password" type="password" autocomplete="current-password" required maxLength={1024} />
      </label>
      {error !== null && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {t('login.submit')}
      </button>
    </form>
  );
}

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}
