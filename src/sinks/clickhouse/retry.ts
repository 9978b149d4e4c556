/**
 * Which ClickHouse failures are worth retrying. A server that is restarting, overloaded or behind a
 * flaky network is retried; a query ClickHouse understood and refused (syntax, types, permissions) is not,
 * because the same insert would fail the same way forever.
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** ClickHouse error codes that describe a transient state of the server, not a wrong query. */
const RETRIABLE_CH_CODES = new Set([
  3, // UNEXPECTED_END_OF_FILE: the body was cut
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS (merges behind)
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED (server shutting down)
  425, // SYSTEM_ERROR
]);

function chCode(err: Error & { code?: unknown }): number | undefined {
  if (typeof err.code === 'string' && /^\d+$/.test(err.code)) return Number(err.code);
  // 18.16 errors reach the client as plain Errors whose message starts with "Code: N".
  const m = /Code: (\d+)/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}

export function isRetriable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const code = chCode(e);
  if (code !== undefined) return RETRIABLE_CH_CODES.has(code);
  const msg = e.message;
  if (/socket hang up|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Timeout error|timed out|other side closed/i.test(msg)) return true;
  // An HTTP error without a ClickHouse code (a proxy or a load balancer in front of the server).
  if (/\b(502|503|504)\b/.test(msg) && /bad gateway|unavailable|gateway timeout|status/i.test(msg)) return true;
  if (e.cause instanceof Error && e.cause !== err) return isRetriable(e.cause);
  return false;
}

/** A short name of the failure for outage reports: the network code, or "Code: N", or the first words. */
export function failureName(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  const m = /(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket hang up|Timeout error)/i.exec(e.message);
  if (m) return m[1];
  const code = chCode(e);
  if (code !== undefined) return `ClickHouse error code ${code}`;
  return e.message.split('\n')[0].slice(0, 120);
}

/** Exponential backoff with jitter: 100 ms, 200 ms, ... capped at maxMs. */
export function backoffMs(attempt: number, maxMs = 5000): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(attempt, 16));
  return Math.round(base / 2 + Math.random() * (base / 2));
}
