/**
 * An error whose message is meant for a person: one line naming the file,
 * the row or frame, and what to do about it. The CLI prints it without a
 * stack trace and exits non-zero; the server sends it as a typed failure.
 * Any folder may throw it (it imports nothing).
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Thrown when an AbortSignal stops work; callers record the run as cancelled. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}
