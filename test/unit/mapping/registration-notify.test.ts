/** The mapping's `registration:` and `notify:` sections (issue 17): validation with positions, and templates. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateMappingText } from '../../../src/mapping/index.js';
import { renderNotifyTemplate } from '../../../src/mapping/notify.js';

const base = readFileSync('mappings/salesforce.yaml', 'utf8').split('\nregistration:')[0]!;

describe('registration: and notify: sections', () => {
  it('the default mappings carry both sections', () => {
    for (const f of ['mappings/salesforce.yaml', 'mappings/dynamics365.yaml']) {
      const r = validateMappingText(readFileSync(f, 'utf8'), f);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.mapping.registration?.writeBack.status).toBeTruthy();
      expect(Object.keys(r.mapping.notify ?? {}).sort()).toEqual(['declined', 'expired', 'inbound', 'registrationActionRequired', 'registrationFailed', 'registrationPassed']);
    }
  });

  it('every mistake is reported with its place: an unknown placeholder, an unknown event, a missing status field', () => {
    const text = `${base}
registration:
  flag: Register_Deal__c
  writeBack: { reason: Registration_Reason__c }
notify:
  inbound: { subject: "New: {nme}" }
  won: { subject: "Won" }
`;
    const r = validateMappingText(text, 'm.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path).sort();
    expect(paths).toEqual(['notify', 'notify.inbound.subject', 'registration.writeBack.status'].sort());
    expect(r.problems.find((p) => p.path === 'notify')!.message).toContain('won');
    const placeholder = r.problems.find((p) => p.path === 'notify.inbound.subject')!;
    expect(placeholder.message).toContain('{nme}');
    expect(placeholder.line).toBeGreaterThan(base.split('\n').length);
  });

  it('templates fill the known values and leave missing ones empty', () => {
    expect(renderNotifyTemplate('Declined: {name} ({reason})', { name: 'Litware', reason: 'No fit' })).toBe('Declined: Litware (No fit)');
    expect(renderNotifyTemplate('{reason} {link}', { link: 'http://x' })).toBe('http://x');
  });
});
