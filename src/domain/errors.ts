// One error model for the failures of the program itself (bad data is never an exception: it becomes a
// reject). Every error that leaves a command is a ClonewatchError: a code a script can match, a one-line
// message, whether trying again later may help, and the cause it wraps. cli/exit-code.ts maps them to exit
// codes in one place.

export interface ClonewatchErrorOptions {
  retriable?: boolean;
  cause?: unknown;
}

export class ClonewatchError extends Error {
  readonly code: string;
  /** Whether the same call may succeed later (a service down), as opposed to needing a change. */
  readonly retriable: boolean;

  constructor(message: string, code: string, opts: ClonewatchErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

/** A bad argument, flag or configuration: the command cannot start as called. */
export class UsageError extends ClonewatchError {
  constructor(message: string, opts: ClonewatchErrorOptions = {}) {
    super(message, 'USAGE', opts);
  }
}

/** A whole input cannot be used (unreadable file, CSV without the needed header). Not retriable. */
export class InputError extends ClonewatchError {
  constructor(message: string, code: 'UNREADABLE' | 'BAD_HEADER' | 'NOT_FOUND' = 'UNREADABLE', opts: { cause?: unknown } = {}) {
    super(message, code, { cause: opts.cause });
  }
}

/** A service the command works with failed while it ran (a query refused, brokers unreachable, a produce failed). */
export class ServiceError extends ClonewatchError {}
