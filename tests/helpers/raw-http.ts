// Plain HTTP(S) requests to a real havend from any loopback address (127.0.0.0/8 all reach it
// on Linux), so one machine can play several clients, or a botnet, against the rate limits.

import http from 'node:http';
import https from 'node:https';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The catalogue code of an error answer. */
  code: string | undefined;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The local (source) address; 127.0.0.1 by default. */
  from?: string;
}

export function send(base: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    // Over HTTPS the appliance's self-signed certificate is accepted unpinned: these tests are about what it answers.
    const request = url.protocol === 'https:' ? https.request : http.request;
    const req = request(
      {
        rejectUnauthorized: false,
        host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? 'GET',
        headers: options.headers ?? {}, localAddress: options.from ?? '127.0.0.1', agent: false, timeout: 20_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (body += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, code: codeOf(body) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

function codeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
