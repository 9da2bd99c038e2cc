/**
 * Local stand-ins for the CRMs (the embedded demo and the tests): a Salesforce org and a Dataverse environment
 * over real HTTP(S). Only the composition root (`src/cli/`), `bench/` and tests import this folder.
 */
export { startSalesforceSandbox, insertBulkOpportunities, type SalesforceSandbox, type SandboxOptions as SalesforceSandboxOptions } from './salesforce/index.js';
export { startDynamicsSandbox, type DynamicsSandbox, type DynamicsSandboxOptions } from './dynamics365/index.js';
