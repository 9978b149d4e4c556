// The one redaction policy: what may be shown or stored of a configuration, a target or a message. Used
// by the run record (pipeline_runs.config_json), the logs, the command's error line, the summary and the
// metrics exposition, so a secret given on the command line, in the environment or in the config file
// never reaches any of them.

/** Config keys whose string values are secrets (the ClickHouse password, the Kafka SASL password, ...). */
const SECRET_KEY = /pass(word)?|secret|token|credential/i;

/**
 * `scheme://user:password@`: the password runs to the last @ of the token, so one with a raw / or @ in it
 * (which a URL parser would misread) is still masked whole.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/"'`<>]*:)[^\s"'`<>]*@/gi;

export const REDACTED = '***';

/** Text with the password of every URL in it replaced by ***. */
export function redactText(text: string): string {
  return text.indexOf('://') < 0 ? text : text.replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/**
 * A deep copy of `value` as it may be shown or stored: string values of secret-named keys become ***, and
 * the password of any URL in a string (a ClickHouse target) is masked. Functions and undefined are dropped
 * as JSON.stringify would.
 */
export function redact<T>(value: T): T {
  return walk(value, '') as T;
}

function walk(v: unknown, key: string): unknown {
  if (typeof v === 'string') return key !== '' && SECRET_KEY.test(key) ? REDACTED : redactText(v);
  if (v === null || typeof v !== 'object') return v;
  const toJSON = (v as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return walk(toJSON.call(v), key); // a Date, as JSON would show it
  if (Array.isArray(v)) return v.map((x) => walk(x, ''));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || typeof x === 'function') continue;
    out[k] = walk(x, k);
  }
  return out;
}

/** JSON of `value` redacted: what pipeline_runs.config_json holds. */
export function redactedJson(value: unknown): string {
  return JSON.stringify(redact(value));
}

/** A JSON text redacted (a config_json from elsewhere); text that is not JSON is redacted as text, or dropped when it names a secret. */
export function redactJsonText(json: string): string {
  try {
    return redactedJson(JSON.parse(json));
  } catch {
    return SECRET_KEY.test(json) ? '' : redactText(json);
  }
}
