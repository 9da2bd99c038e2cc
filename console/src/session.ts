import { createContext, useContext } from 'react';
import type { Role } from './api.js';

export interface Session {
  role: Role;
  connections: string[];
}

export const SessionContext = createContext<Session>({ role: 'read', connections: [] });
export const useSession = () => useContext(SessionContext);
/** Write buttons are shown to the admin token only (the API refuses the read-only token anyway). */
export const useCanWrite = () => useSession().role === 'admin';
