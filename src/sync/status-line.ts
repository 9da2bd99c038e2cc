/**
 * The one line a sales rep reads on the opportunity: `✔ synced · 2026-11-24 10:00 UTC` or
 * `✖ blocked: the referral is Won … · time`. It is rewritten only when its meaning changes, never for the time
 * alone — otherwise every write-back would look like a new CRM change and the sync would chase its own tail.
 */
const SEP = ' · ';

/** ✔ in step, ✖ something to fix, – a note (the record is deliberately left alone). */
export type StatusMark = boolean | 'note';

export function renderStatusLine(ok: StatusMark, reason: string, at: Date, maxLength: number): string {
  const time = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const head = `${ok === 'note' ? '–' : ok ? '✔' : '✖'} `;
  const room = Math.max(8, maxLength - head.length - SEP.length - time.length);
  const text = reason.length > room ? `${reason.slice(0, room - 1)}…` : reason;
  return `${head}${text}${SEP}${time}`;
}

/** The line without its time, for comparing meaning. */
export function statusMeaning(line: string | null | undefined): string | null {
  if (!line) return null;
  const i = line.lastIndexOf(SEP);
  return i < 0 ? line : line.slice(0, i);
}

export function sameStatus(current: string | null | undefined, ok: StatusMark, reason: string, maxLength: number): boolean {
  return statusMeaning(current) === statusMeaning(renderStatusLine(ok, reason, new Date(0), maxLength));
}
