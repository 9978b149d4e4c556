// The defaults that cli/main.ts needs before it loads the config schema (zod): an early pass 1
// (pipeline/scan-start.ts) reads with them when the arguments set nothing else.

/** Zone of CDR times written without one. */
export const DEFAULT_TIMEZONE = '-05:00';
/** How a zone is written (±hh:mm). */
export const TIMEZONE_FORMAT = /^[+-]\d{2}:\d{2}$/;
/** A CSV line longer than this is a malformed_row. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
