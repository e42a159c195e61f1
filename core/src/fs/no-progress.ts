// A write that returned 0 bytes: the file system is full in all but name (a short write is
// retried for the rest, and this is what the retry found). Raised as ENOSPC so callers map
// it like the real error (STORAGE_FULL on the appliance).

export function writeMadeNoProgress(): NodeJS.ErrnoException {
  return Object.assign(new Error('no space left on device (write made no progress)'), { code: 'ENOSPC' });
}
