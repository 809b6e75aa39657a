import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A list loaded for a filter (a task state, a document status), reloaded when the filter changes. `list` is the list
 * only under the filter it was loaded for: while another filter's list is on its way it is undefined, so a row never
 * shows under a filter it does not match. Only the newest request's answer (or error) is kept, whatever order the
 * answers arrive in. `loaded` tells whether any list has arrived yet (the page's first paint).
 */
export function useFilteredList<T>(
  filter: string,
  fetchList: (filter: string) => Promise<T[]>,
  onError: (error: Error) => void,
): { list: T[] | undefined; loaded: boolean; reload: () => Promise<void>; replace: (list: T[]) => void } {
  const [listed, setListed] = useState<{ filter: string; list: T[] } | undefined>(undefined);
  const lastRequest = useRef(0);
  const reload = (): Promise<void> => {
    const request = ++lastRequest.current;
    return fetchList(filter).then(
      (list) => {
        if (request === lastRequest.current) setListed({ filter, list });
      },
      (error: Error) => {
        if (request === lastRequest.current) onError(error);
      },
    );
  };
  useEffect(() => void reload(), [filter]);
  return { list: listed?.filter === filter ? listed.list : undefined, loaded: listed !== undefined, reload, replace: (list) => setListed({ filter, list }) };
}
