// The UI's one way to call havend: same-origin fetch with the session cookie, JSON in and
// out, and errors as ApiError carrying the catalogue's stable code (core/src/errors.ts).

import { isErrorCode, type ErrorCode } from '$core/errors.js';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function errorOf(status: number, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const e: unknown = body.error;
    if (typeof e === 'object' && e !== null && 'code' in e && isErrorCode(e.code)) {
      const message = 'message' in e && typeof e.message === 'string' ? e.message : e.code;
      return new ApiError(e.code, message, status, 'details' in e ? e.details : undefined);
    }
  }
  return new ApiError('INTERNAL', `HTTP ${status}`, status);
}

export class Http {
  /** `onUnauthorized` runs when a call answers 401 (the session ended): the app shows the login. */
  constructor(private readonly onUnauthorized: () => void) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError('NETWORK', 'The appliance cannot be reached', 0);
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiError('INTERNAL', `HTTP ${res.status}: not JSON`, res.status);
      }
    }
    if (!res.ok) {
      const err = errorOf(res.status, parsed);
      if (err.code === 'UNAUTHORIZED') this.onUnauthorized();
      throw err;
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  del(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
}
