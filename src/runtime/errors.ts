/**
 * Typed errors. Every error the product raises on purpose is one of these, so callers can tell an expected
 * problem (bad input, a conflict, a terminal referral) from a failure, and so nothing secret is ever put
 * into a message: constructors take what to say, never raw request objects.
 */

export interface Problem {
  /** Dotted/slashed path of the offending field, e.g. `customerProfile.address.country`. */
  path: string;
  message: string;
}

export class CosellError extends Error {
  /** Machine-readable code, stable across versions. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration or mapping file is wrong; `source` names the file. */
export class ConfigError extends CosellError {
  constructor(
    message: string,
    readonly source: string,
    readonly problems: Problem[] = [],
  ) {
    super('config', message);
  }
}

/** A payload or record failed validation; every problem is listed, with its path. */
export class ValidationError extends CosellError {
  constructor(
    message: string,
    readonly problems: Problem[] = [],
    readonly source?: string,
  ) {
    super('validation', message);
  }
}

/** Credentials are missing, wrong or expired; `account` names whose (never the secret itself). */
export class AuthError extends CosellError {
  constructor(
    message: string,
    readonly account?: string,
  ) {
    super('auth', message);
  }
}

export class RateLimitedError extends CosellError {
  constructor(
    message: string,
    /** Seconds the remote asked us to wait, when it said. */
    readonly retryAfterSeconds?: number,
    readonly status = 429,
  ) {
    super('rateLimited', message);
  }
}

/** An optimistic-concurrency check failed (HTTP 412): someone else changed the record. */
export class ConflictError extends CosellError {
  constructor(
    message: string,
    /** The server's current ETag, when it told us. */
    readonly currentEtag?: string,
  ) {
    super('conflict', message);
  }
}

/** The referral is Won, Lost, Declined or Expired: no further change of any kind. */
export class TerminalStateError extends CosellError {
  constructor(
    message: string,
    readonly substatus?: string,
  ) {
    super('terminalState', message);
  }
}

/** A create named an `externalReferenceId` the target already holds (the store's 409): the referral exists. */
/** A stage jump the target refuses (a solution assessment completes each stage with its own update). */
export class StagesIncompleteError extends CosellError {
  constructor(message: string) {
    super('stagesIncomplete', message);
  }
}

export class AlreadyCreatedError extends CosellError {
  constructor(
    message: string,
    readonly existingId: string,
  ) {
    super('alreadyCreated', message);
  }
}

export class NotFoundError extends CosellError {
  constructor(message: string) {
    super('notFound', message);
  }
}

/** A remote API answered in a way we cannot use (not JSON, truncated, unexpected status). */
export class RemoteError extends CosellError {
  constructor(
    message: string,
    readonly status?: number,
    readonly remoteCode?: string,
  ) {
    super('remote', message);
  }
}

/** The daily API budget of a CRM is spent (or past the configured pause threshold). */
export class BudgetExhaustedError extends CosellError {
  constructor(message: string) {
    super('budgetExhausted', message);
  }
}

export function isCosellError(err: unknown): err is CosellError {
  return err instanceof CosellError;
}

/** One line for a log or a CRM status field; never includes stack or request internals. */
export function describeError(err: unknown): string {
  if (err instanceof ValidationError && err.problems.length > 0) {
    return `${err.message}: ${err.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
