/**
 * Files that hold deals, customer contacts, keys or tokens are the owner's alone: folders created for them are
 * 0700 and the files 0600 (SQLite gives its -wal/-shm files the database file's mode). An existing folder's
 * mode is left as it is (it may be a shared one the operator chose).
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Make sure `file` exists with mode 0600 (created so, or narrowed), in a folder created 0700. */
export function preparePrivateFile(file: string): void {
  if (file === ':memory:' || file === '') return;
  privateDir(dirname(file));
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}
