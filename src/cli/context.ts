/** Shared plumbing for commands: the config from the global --config, the logger, the state store. */
import type { Command } from 'commander';
import { createLogger, loadConfig, ConfigError, type LoadedConfig, type Logger } from '../runtime/index.js';
import { openConfiguredState, type SyncState } from '../state/index.js';

export interface CliContext {
  config: LoadedConfig;
  log: Logger;
  openState(): Promise<SyncState>;
}

export function cliContext(cmd: Command): CliContext {
  const { config: file } = cmd.optsWithGlobals<{ config: string }>();
  const config = loadConfig(file);
  const log = createLogger({ level: config.log.level, format: config.log.format });
  return { config, log, openState: () => openConfiguredState(config) };
}

export function connectionNamed(config: LoadedConfig, name: string) {
  const conn = config.connections.find((c) => c.name === name);
  if (!conn) {
    throw new ConfigError(`no connection named '${name}' in ${config.file} (have: ${config.connections.map((c) => c.name).join(', ')})`, config.file);
  }
  return conn;
}

/** Print rows as an aligned table (no dependency; output is for people). */
export function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)\n';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')}\n`;
}
