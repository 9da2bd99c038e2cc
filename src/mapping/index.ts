/** Mapping files: schema, loading with positions, and the compiler (CRM record ⇄ DealFields). */
export { mappingSchema, sourceSchema, DEFAULT_POLICIES, type Mapping, type Source } from './schema.js';
export { compileMapping, compilePath, type CompiledMapping, type StageRead } from './compile.js';
export { loadMapping, loadCompiledMapping, validateMappingText } from './load.js';
export * from './convert.js';
export * from './admin.js';
export * from './notify.js';
export * from './registration.js';
