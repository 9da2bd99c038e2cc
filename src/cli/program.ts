/**
 * The composition root: builds the commander program. Each command group lives in its own file under
 * commands/ and registers itself here, so adding a command touches one line of this file.
 */
import { Command } from 'commander';
import { registerAuth } from './commands/auth.js';
import { registerConnections } from './commands/connections.js';
import { registerDistributed } from './commands/distributed.js';
import { registerMappings } from './commands/mappings.js';
import { registerOps } from './commands/ops.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerSetup } from './commands/setup.js';
import { registerStart } from './commands/start.js';
import { registerState } from './commands/state.js';
import { registerSync } from './commands/sync.js';
import { registerStore } from './commands/store.js';
import { registerWebhookSetup } from './commands/webhooks.js';
import { processEnv } from '../runtime/index.js';

export function buildProgram(): Command {
  const program = new Command('cosell-sync')
    .description("Keeps a partner's CRM and its Microsoft co-sell referrals in step")
    .option('-c, --config <file>', 'config file', processEnv().COSELL_CONFIG ?? 'config/default.yaml')
    .showHelpAfterError();
  registerStart(program);
  registerSync(program);
  registerOps(program);
  registerMappings(program);
  registerAuth(program);
  registerSandbox(program);
  registerSetup(program);
  registerWebhookSetup(program);
  registerStore(program);
  registerState(program);
  registerDistributed(program);
  registerConnections(program);
  return program;
}
