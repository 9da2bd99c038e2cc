/**
 * Mapping files for the admin, shared by the CLI and the HTTP API: validate a text (every problem with
 * file:line:col), preview one CRM record, suggest stage rules from the live CRM, and save atomically with a
 * backup of the previous file.
 */
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CrmConnector } from '../../connectors/index.js';
import { checkMapping, compileMapping, previewRecord, suggestStages, validateMappingText, type CheckFinding, type Mapping, type Preview } from '../mapping/index.js';
import { NotFoundError, ValidationError, type LocatedProblem } from '../runtime/index.js';

export type MappingCheck = { file: string; ok: true; mapping: Mapping } | { file: string; ok: false; problems: LocatedProblem[] };

export function validateMapping(text: string, file: string): MappingCheck {
  const r = validateMappingText(text, file);
  return r.ok ? { file, ok: true, mapping: r.mapping } : { file, ok: false, problems: r.problems };
}

/** Validate the file on disk; an unreadable file is one problem at 1:1. */
export function validateMappingFile(file: string): MappingCheck {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { file, ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }] };
  }
  return validateMapping(text, file);
}

/** A valid mapping from a text, or a ValidationError naming every problem as `line:col path`. */
export function parseMapping(text: string, file: string, consequence = 'not used'): Mapping {
  const check = validateMapping(text, file);
  if (check.ok) return check.mapping;
  throw new ValidationError(
    `mapping ${file} is invalid; ${consequence}`,
    check.problems.map((p) => ({ path: `${p.line}:${p.column} ${p.path}`, message: p.message })),
    file,
  );
}

export async function previewCrmRecord(crm: CrmConnector, mapping: Mapping, recordId: string, connection: string): Promise<Preview> {
  const compiled = compileMapping(mapping);
  const [record] = await crm.read([recordId], compiled.fieldsToRead);
  if (!record) throw new NotFoundError(`no record ${recordId} in ${connection}`);
  return previewRecord(compiled, record);
}

/** The mapping against the live CRM: unmapped stages, missing or mistyped fields, missing write-back fields. */
export async function checkAgainstCrm(crm: CrmConnector, mapping: Mapping): Promise<CheckFinding[]> {
  return checkMapping(mapping, compileMapping(mapping), await crm.describeStages(), await crm.describeFields());
}

export async function suggestFromCrm(crm: CrmConnector, mapping: Mapping): Promise<string> {
  return suggestStages(await crm.describeStages(), mapping.stages.field);
}

/**
 * Write a validated mapping text in place of `file`: the old file is kept as `file.bak`, the new one lands by
 * rename (never half-written). An invalid text changes nothing and throws with every problem.
 */
export function saveMapping(file: string, text: string): { mapping: Mapping; backup: string | null } {
  const mapping = parseMapping(text, file, 'nothing was saved');
  const backup = existsSync(file) ? `${file}.bak` : null;
  if (backup) copyFileSync(file, backup);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return { mapping, backup };
}
