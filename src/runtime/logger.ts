/**
 * Structured logging with winston: JSON lines when stdout is not a TTY (collectors), a readable line on a TTY.
 * Every line passes through redaction. A run gets a child logger carrying its correlation id.
 */
import { randomUUID } from 'node:crypto';
import winston from 'winston';
import { redact, redactString } from './redact.js';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const redactFormat = winston.format((info) => {
  const cleaned = redact({ ...info });
  // winston keys its internals on symbols, which Object.entries skips: copy them back.
  for (const sym of Object.getOwnPropertySymbols(info)) {
    (cleaned as Record<symbol, unknown>)[sym] = (info as Record<symbol, unknown>)[sym];
  }
  if (typeof info.message === 'string') cleaned.message = redactString(info.message);
  return cleaned;
});

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'auto' | 'json' | 'pretty';
  /** Defaults to stderr so stdout stays free for command output and progress. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const pretty = opts.format === 'pretty' || (opts.format !== 'json' && (stream as { isTTY?: boolean }).isTTY === true);
  const line = pretty
    ? winston.format.combine(
        winston.format.colorize(),
        winston.format.printf(({ level, message, timestamp, ...rest }) => {
          const extra = Object.entries(rest)
            .filter(([k]) => k !== 'service')
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          return `${String(timestamp).slice(11, 19)} ${level} ${String(message)}${extra ? ` ${extra}` : ''}`;
        }),
      )
    : winston.format.json();
  return winston.createLogger({
    level: opts.level ?? 'info',
    silent: opts.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), redactFormat(), line),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A logger for one sync run: every line carries the same correlation id (also sent as MS-CorrelationId). */
export function runLogger(parent: Logger, fields: Record<string, unknown> = {}): { log: Logger; correlationId: string } {
  const correlationId = randomUUID();
  return { log: parent.child({ correlationId, ...fields }), correlationId };
}

/** A logger that writes nothing: for tests and library callers that do not care. */
export const silentLogger: Logger = createLogger({ silent: true });
