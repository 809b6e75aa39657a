import { closeSync, openSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { onNextTurn } from './io-timers.ts';

/**
 * Cross-process wake-ups for one database file, through a one-byte side file `<file>-wake`.
 *
 * After a commit that may interest a waiter elsewhere (a job became claimable, an event was
 * appended), the writer rewrites that byte; every other process on the file watches it (inotify /
 * kqueue / ReadDirectoryChangesW through `fs.watch`), so an idle worker or QueueEvents reader in
 * another process wakes within a millisecond and costs nothing while idle. The byte is written
 * after COMMIT returns, so a woken reader always sees the commit (watching the WAL itself would
 * wake it before the commit is visible in the shared-memory index). Where the filesystem cannot
 * be watched, waiters keep polling at the backend's `pollIntervalMs`.
 */
export class CrossProcessWake {
  private fd: number | undefined;
  private watcher: FSWatcher | undefined;
  private watching = false;
  private failed = false;
  private scheduled = false;
  private readonly path: string;
  private readonly onWake: () => void;

  constructor(file: string, onWake: () => void) {
    this.path = `${file}-wake`;
    this.onWake = onWake;
  }

  /** Tells other processes that something was committed. Never throws: a lost wake-up only costs a poll. */
  notify(): void {
    if (this.failed) return;
    try {
      this.fd ??= openSync(this.path, 'w');
      writeSync(this.fd, '1', 0);
    } catch {
      this.failed = true;
    }
  }

  /** Starts watching (once); false when this filesystem cannot be watched. */
  watch(): boolean {
    if (this.watching) return true;
    if (this.failed) return false;
    try {
      this.fd ??= openSync(this.path, 'w');
      this.watcher = watch(this.path, { persistent: false }, () => this.schedule());
      this.watcher.on('error', () => this.stopWatching());
      this.watching = true;
    } catch {
      this.failed = true;
    }
    return this.watching;
  }

  get active(): boolean {
    return this.watching;
  }

  /** Many commits in one turn wake the waiters once. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    onNextTurn(() => {
      this.scheduled = false;
      if (this.watching) this.onWake();
    });
  }

  private stopWatching(): void {
    this.watching = false;
    this.failed = true;
    this.watcher?.close();
    this.watcher = undefined;
  }

  close(): void {
    this.watching = false;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
