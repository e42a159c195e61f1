// Waits until what a test just wrote is old enough for a backup to record it in its files
// cache and directory records (client/src/backup/settled.ts): a test that expects the next
// backup to skip a file must let its ctime settle first.

import { SETTLE_MS } from '../../client/src/backup/settled.js';

export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS + 50));
