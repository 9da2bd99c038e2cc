export { buildProgram } from './program.js';
export { openService, type CycleOptions, type Service, type ServiceConnection, type ServiceOptions } from './service.js';
export { createSurface } from './surface.js';
