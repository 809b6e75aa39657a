import { randomUUID } from 'node:crypto';

/** A name no other test (or earlier run) uses: queues, prefixes, channels. */
export const uniqueName = (base: string): string => `${base}-${randomUUID().slice(0, 8)}`;
