/** A whole input cannot be used (unreadable file, CSV without the needed header). Not retriable. */
export class InputError extends Error {
  readonly retriable = false;
  constructor(
    message: string,
    readonly code: 'unreadable' | 'bad_header' | 'not_found' = 'unreadable',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InputError';
  }
}
