import type { Command } from 'commander';
import { loadConfig } from '../../runtime/index.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the sync service (with config/default.yaml: the sandboxes, the embedded store and the scheduler)')
    .option('--once', 'run one cycle of every connection and exit')
    .action((_opts: { once?: boolean }, cmd: Command) => {
      const config = loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      process.stdout.write(
        `cosell-sync: config ${config.file} is valid (${config.connections.length} connections); the sync engine is not built yet.\n`,
      );
    });
}
