import { useEffect, useState } from 'preact/hooks';

/** Loads now and every `everyMs` while the page is shown (server-sent events replace this later). */
export function usePoll<T>(load: () => Promise<T>, everyMs = 5_000): { data: T | undefined; error: Error | undefined } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    const run = () =>
      load().then(
        (value) => !stopped && (setData(value), setError(undefined)),
        (e: unknown) => !stopped && setError(e instanceof Error ? e : new Error(String(e))),
      );
    void run();
    const timer = setInterval(() => void run(), everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return { data, error };
}
