export { buildProgram } from './program.js';
export { openService, type Service } from './service.js';
export { createSurface } from './surface.js';
