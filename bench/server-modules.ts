/** Server code a sync against a remote CRM and a remote store has no use for: what `sync` must not load. */
const SERVER_CODE = [/\/node_modules\/fastify\//, /\/sandboxes\//, /\/src\/referral-store\//, /\/src\/server\//, /\/node_modules\/(bullmq|ioredis|pg)\//];

/** The server modules among a process's loaded modules (paths or file: URLs, as loaded-modules.ts lists them). */
export function serverModules(loaded: string[]): string[] {
  return loaded.filter((m) => SERVER_CODE.some((re) => re.test(m)));
}
