/**
 * Demo data for an empty store: every deal type, every sales stage, inbound referrals from Microsoft, a P2P
 * pair, and some terminal deals — made through the service, so the demo data obeys the same rules as clients.
 */
import type { HelpType, ReferralCreate, SalesStage } from '../domain/index.js';
import type { Organization, Repository } from './repository.js';
import type { ReferralService } from './service.js';

const CUSTOMERS = [
  ['Adventure Works Cycles', 'US', 'Bothell'],
  ['Alpine Ski House', 'AT', 'Innsbruck'],
  ['Coho Winery', 'FR', 'Bordeaux'],
  ['Fourth Coffee', 'NL', 'Utrecht'],
  ['Tailspin Toys', 'GB', 'Manchester'],
  ['Wide World Importers', 'DE', 'Hamburg'],
  ['Woodgrove Bank', 'CA', 'Toronto'],
  ['Lamna Healthcare', 'US', 'Boston'],
  ['Margie’s Travel', 'ES', 'Madrid'],
  ['Trey Research', 'JP', 'Osaka'],
] as const;

interface DealSpec {
  help?: HelpType;
  visible?: boolean;
  stage?: SalesStage;
  solutionAssessment?: boolean;
}

function deal(i: number, spec: DealSpec, now: Date): ReferralCreate {
  const [name, country, city] = CUSTOMERS[i % CUSTOMERS.length]!;
  const coSell = spec.help !== undefined;
  return {
    name: `${name} — ${spec.solutionAssessment ? 'Azure migration assessment' : ['Dynamics 365 rollout', 'Azure landing zone', 'Data platform', 'Security modernisation'][i % 4]}`,
    externalReferenceId: `DEMO-${String(i + 1).padStart(4, '0')}`,
    type: coSell ? 'Shared' : 'Independent',
    qualification: 'SalesQualified',
    customerProfile: {
      name,
      address: { city, country },
      size: '50to1000employees',
      team: [{ firstName: 'Jamie', lastName: 'Reyes', phoneNumber: '+1 206 555 0142', email: `jamie.reyes@${name.toLowerCase().replace(/[^a-z]+/g, '')}.example` }],
    },
    consent: { consentToShareInfoWithOthers: true, consentToContact: true, consentToShareReferralWithMicrosoftSellers: coSell || spec.visible === true },
    details: {
      notes: 'Demo deal created by `cosell-sync store seed`.',
      dealValue: 10_000 * (i + 3),
      currency: i % 3 === 0 ? 'EUR' : 'USD',
      closingDateTime: new Date(now.getTime() + (30 + i * 7) * 86_400_000).toISOString(),
      requirements: {
        solutions: spec.solutionAssessment
          ? [{ id: 'SA-AZURE-MIGRATION', name: 'Azure migration assessment', type: 'SolutionAssessment' }]
          : [{ id: `SOL-DEMO-${(i % 3) + 1}`, name: ['Contoso Cloud Accelerator', 'Contoso Data Estate', 'Contoso Secure Workplace'][i % 3]! }],
      },
    },
    team: [{ firstName: 'Riley', lastName: 'Chen', phoneNumber: '+1 425 555 0177', email: 'riley.chen@contoso.example' }],
    ...(coSell ? { inviteContext: { assistanceRequestCode: spec.help ?? null, notes: 'Looking for architecture support.' } } : {}),
    ...(spec.stage ? { salesStage: spec.stage } : {}),
  };
}

export function seedDemoData(service: ReferralService, repo: Repository, defaultOrgId: string, now: Date): number {
  const me = service.org(defaultOrgId);
  const partner = (id: string, name: string): Organization => {
    if (!repo.getOrg(id)) repo.insertOrg({ id, name, solutionAssessmentVetted: false }, now.toISOString());
    return service.org(id);
  };
  const fabrikam = partner('fabrikam', 'Fabrikam Solutions');
  const northwind = partner('northwind', 'Northwind Traders');
  let i = 0;
  const create = (org: Organization, spec: DealSpec) => service.create(org, deal(i++, spec, now)).stored;
  const patch = (org: Organization, id: string, ops: { op: 'replace'; path: string; value: unknown }[]) => service.patch(org, id, ops, undefined);

  create(me, {});
  create(me, { visible: true });
  create(me, { help: 'CustomerTechnicalArchitecture' });
  create(me, { help: 'ProofOfConceptOrDemo', stage: 'Develop' });
  create(me, { solutionAssessment: true, stage: 'Qualify' });
  for (const stage of ['Qualify', 'Develop', 'Propose', 'Close'] as const) create(me, { visible: true, stage });
  const won = create(me, { visible: true, stage: 'Propose' });
  patch(me, won.referral.id, [
    { op: 'replace', path: '/salesStage', value: 'Close' },
    { op: 'replace', path: '/status', value: 'Closed' },
    { op: 'replace', path: '/substatus', value: 'Won' },
  ]);
  const lost = create(me, {});
  patch(me, lost.referral.id, [
    { op: 'replace', path: '/status', value: 'Closed' },
    { op: 'replace', path: '/substatus', value: 'Lost' },
    { op: 'replace', path: '/statusReason', value: 'Customer chose another vendor' },
  ]);

  // Inbound from Microsoft: one waiting, one accepted, one declined.
  const inbound = () => service.sendFromMicrosoft(me, { ...deal(i++, { help: 'GeneralOrOther' }, now), type: 'Shared' });
  inbound();
  const accepted = inbound();
  patch(me, accepted.referral.id, [
    { op: 'replace', path: '/status', value: 'Active' },
    { op: 'replace', path: '/substatus', value: 'Accepted' },
  ]);
  const declined = inbound();
  patch(me, declined.referral.id, [
    { op: 'replace', path: '/status', value: 'Closed' },
    { op: 'replace', path: '/substatus', value: 'Declined' },
    { op: 'replace', path: '/statusReason', value: 'No capacity this quarter' },
  ]);

  // A P2P pair: we invite Fabrikam to one of our deals; Northwind invites us to one of theirs.
  const p2p = create(me, {});
  const invitation = (from: Organization, engagementId: string, to: Organization): ReferralCreate => {
    const d = deal(i++, {}, now);
    return {
      engagementId,
      target: [{ type: 'BusinessProfileLocation', id: to.id }],
      details: d.details,
      team: d.team,
      inviteContext: { notes: `${from.name} would like to work on this deal with you.`, assistanceRequestCode: 'GeneralOrOther' },
    };
  };
  service.create(me, invitation(me, p2p.referral.engagementId!, fabrikam));
  const theirs = create(northwind, {});
  service.create(northwind, invitation(northwind, theirs.referral.engagementId!, me));
  return repo.total();
}
