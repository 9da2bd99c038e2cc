/** undici's Agent module on its own (http-client.ts): the package's main entry loads fetch, WebSocket, caches and mocks too. */
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}
