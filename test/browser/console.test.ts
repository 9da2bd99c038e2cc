/**
 * The admin console as an admin uses it, in headless Chromium against the real service (both CRM sandboxes,
 * the embedded store): sign in, watch a sync, map an unmapped stage, retry a fixed record, resolve a conflict,
 * find a rep's edit in the sync log, and see an inbound Microsoft referral with its days left. Every page is
 * checked with axe (no serious or critical violations) and saved as a screenshot under test-results/browser/.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, openBrowser, seriousViolations, shot, startService, type RunningService } from './harness.js';
import type { DynamicsSandbox, SalesforceSandbox } from '../../sandboxes/index.js';

const enabled = browserAvailable();

describe.skipIf(!enabled)('the admin console in Chromium', () => {
  let svc: RunningService;
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let sf: SalesforceSandbox['org'];
  const ids = { unmapped: '', badCountry: '', conflict: '', edited: '', inbound: '' };
  let owner = '';
  let unmappedAt = 0;
  let throttled = 0;

  const sfConn = () => svc.service.connections.find((c) => c.name === 'sf')!;
  const opp = (name: string, extra: Record<string, unknown> = {}, country = 'Netherlands') =>
    sf.insert('Opportunity', {
      Name: name,
      StageName: 'Needs Analysis',
      Amount: 40_000,
      CurrencyIsoCode: 'EUR',
      CloseDate: '2027-03-01',
      AccountId: sf.insert('Account', { Name: `${name} Ltd`, BillingCountry: country, BillingCity: 'Utrecht' }),
      OwnerId: owner,
      Sync_with_Partner_Center__c: true,
      How_can_Microsoft_help__c: 'None',
      Visible_to_Microsoft__c: false,
      Customer_Contact_First_Name__c: 'Sue',
      Customer_Contact_Last_Name__c: 'Smith',
      Customer_Contact_Email__c: 'sue@customer.example',
      Partner_Center_Solutions__c: 'SOL-AZ-001',
      ...extra,
    });
  const referralOf = async (crmId: string) => (await sfConn().referrals.read(String(sf.get('Opportunity', crmId).Referral_Id__c)))!;
  const runs = async () => (await svc.service.state.runsPage({ connection: 'sf', limit: 100 })).items;
  const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const go = async (hash: string) => {
    await page.goto(`${svc.url}/#/${hash}`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
  };
  const signIn = async (token: string) => {
    // A new tab starts with an empty sessionStorage: signed out.
    await page?.close();
    page = await context.newPage();
    await page.goto(`${svc.url}/`);
    // By keyboard, as a person would: the field has focus, type, Enter.
    await page.getByLabel('Access token').waitFor();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
  };
  const accessible = async () => expect(await seriousViolations(page)).toEqual([]);

  beforeAll(async () => {
    // The admin's starting point: a mapping that lost its "Value Proposition" stage.
    svc = await startService({ editMapping: (y) => y.replace('    Value Proposition: Developed\n', '') });
    await Promise.all([svc.runNow('sf'), svc.runNow('d365')]);
    // Dataverse's service protection answers some calls with 429 + Retry-After: the overview shows the throttling.
    const d365 = svc.service.connections.find((c) => c.name === 'd365')!.sandbox as DynamicsSandbox;
    d365.faults.configure({ rate429: 0.5, retryAfterSeconds: 1, seed: 4 });
    for (let i = 0; i < 5 && !d365.faults.injected()['429']; i++) await svc.runNow('d365');
    d365.faults.reset();
    throttled = d365.faults.injected()['429'] ?? 0;
    sf = (sfConn().sandbox as SalesforceSandbox).org;
    owner = sf.insert('User', { FirstName: 'Ann', LastName: 'Lee', Email: 'ann@partner.example', Phone: '+31 20 555 0100' });
    ids.unmapped = opp('Fabrikam stage test', { StageName: 'Value Proposition' });
    unmappedAt = Date.now();
    ids.badCountry = opp('Northwind country test', {}, 'Atlantis');
    ids.conflict = opp('Tailspin notes test', { Description: 'First notes' });
    ids.edited = opp('Wingtip amount test');
    const res = await fetch(`${svc.service.store!.origin}/_admin/microsoft/referrals`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${svc.service.store!.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Adatum inbound console test', dealValue: 120_000 }),
    });
    ids.inbound = ((await res.json()) as { id: string }).id;
    await svc.runNow('sf');
    // Notes changed on both sides under the `manual` policy: a conflict for the admin.
    sf.update('Opportunity', ids.conflict, { Description: 'Notes from the CRM' });
    const r = await referralOf(ids.conflict);
    await sfConn().referrals.patch(r.referral.id, [{ op: 'replace', path: '/details/notes', value: 'Notes from the referral' }], r.etag);
    await svc.runNow('sf');
    browser = await openBrowser();
    context = browser.context;
    context.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  it('the read-only token sees every connection but no button that changes anything', async () => {
    page = await context.newPage();
    await page.goto(`${svc.url}/`);
    await page.getByLabel('Access token').waitFor();
    await accessible();
    await signIn(svc.tokens.read);
    const card = page.getByRole('region', { name: 'sf Salesforce' });
    await expect.poll(() => card.getByTestId('health').textContent(), { timeout: 10_000 }).toMatch(/degraded — \d+ records? did not sync/);
    await page.getByRole('region', { name: 'd365 Dynamics 365' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sync now' }).count()).toBe(0);
    await go('issues');
    expect(await page.getByRole('button', { name: /Retry/ }).count()).toBe(0);
    await accessible();
    await shot(page, 'read-only-issues');
  });

  it('overview: the admin starts a sync and the card shows the new run without a reload; full resync asks first', async () => {
    await signIn(svc.tokens.admin);
    const card = page.getByRole('region', { name: 'sf Salesforce' });
    // The schedule is "0 0 1 1 *": the next run is on the coming 1 January.
    await card
      .getByRole('definition')
      .nth(1)
      .filter({ hasText: new RegExp(`^1 Jan ${new Date().getUTCFullYear() + 1}, `) })
      .waitFor();
    const before = (await runs())[0]!.id;
    await card.getByRole('button', { name: 'Sync now' }).click();
    await card.getByRole('status').filter({ hasText: 'A sync of sf was started' }).waitFor();
    // The page polls: the card's last run link moves to the new run by itself.
    await card.locator(`a[href="#/log/${before + 1}"]`).waitFor({ timeout: 15_000 });
    expect(throttled).toBeGreaterThan(0);
    const throttling = new RegExp(`Dataverse \\d+ calls, ${throttled} throttled \\(429\\), [1-9]\\d* s of Retry-After`);
    await page.getByRole('region', { name: 'd365 Dynamics 365' }).getByText(throttling).waitFor();
    await card.getByRole('button', { name: 'Full resync…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Full resync of sf?' });
    await expect.poll(() => dialog.textContent(), { timeout: 10_000 }).toContain('reads every opportunity and every referral again');
    await accessible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible(), { timeout: 10_000 }).toBe(false);
    await shot(page, 'overview');
    await accessible();
    // A narrow window: nothing wider than the screen but the tables' own scroll.
    await page.setViewportSize({ width: 400, height: 800 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(400);
    await shot(page, 'overview-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('mappings: the admin maps the unmapped stage in the table and saves; the next sync uses it', async () => {
    // A cycle past the Salesforce pull's 10 s lookback moves the cursor beyond the record: from then on an
    // unchanged record comes back only because saving the mapping queued it.
    await new Promise((r) => setTimeout(r, Math.max(0, unmappedAt + 11_000 - Date.now())));
    await svc.runNow('sf');
    expect(sf.get('Opportunity', ids.unmapped).Referral_Id__c ?? null).toBeNull();
    await go('mappings/sf');
    const row = page.locator('tr[data-stage="Value Proposition"]');
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('Unmapped');
    await expect.poll(() => row.getAttribute('class'), { timeout: 10_000 }).toBe('unmapped');
    const select = page.getByLabel('Value Proposition', { exact: true });
    // "Suggest" fills only the gap, from the stage's probability (50 % → Developed); the drop-down can change it.
    await page.getByRole('button', { name: 'Suggest for unmapped stages' }).click();
    await expect.poll(() => select.inputValue(), { timeout: 10_000 }).toBe('Developed');
    await expect.poll(() => page.getByLabel('Needs Analysis', { exact: true }).inputValue(), { timeout: 10_000 }).toBe('Qualified');
    await select.selectOption('Proposed');
    await select.selectOption('Developed');
    await page.getByRole('button', { name: 'Save stage table' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Saved / })
      .waitFor();
    await expect.poll(() => row.getAttribute('class'), { timeout: 10_000 }).toBeNull();
    await accessible();
    await shot(page, 'mappings');
    await shot(page, 'mappings-top', false);
    await svc.runNow('sf');
    const referral = await referralOf(ids.unmapped);
    expect(referral.referral.salesStage).toBe('Develop');

    // The YAML view names a problem at line:column, and saving it is refused.
    const yaml = page.getByLabel(svc.mappingFile);
    await yaml.fill((await yaml.inputValue()).replace('crm: salesforce', 'crm: sap'));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    await expect.poll(() => page.getByRole('list', { name: 'Problems' }).textContent(), { timeout: 10_000 }).toMatch(/line 2:6 crm — /);
    await accessible();
    await shot(page, 'mappings-yaml-problem');
  });

  it('issues: after the CRM record is fixed, retrying its issue makes it sync', async () => {
    await go('issues');
    const row = page.getByRole('row').filter({ hasText: `crm:${ids.badCountry}` });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('Atlantis');
    sf.update('Account', String(sf.get('Opportunity', ids.badCountry).AccountId), { BillingCountry: 'Netherlands' });
    await row.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: '1 record will be read again' }).waitFor();
    await accessible();
    await shot(page, 'issues');
    await svc.runNow('sf');
    const referral = await referralOf(ids.badCountry);
    expect(referral.referral.customerProfile?.address?.country).toBe('NL');
    await page.reload();
    await page.getByRole('heading', { name: 'Records that did not sync' }).waitFor();
    await page.getByRole('heading', { name: 'Conflicts', exact: true }).waitFor();
    expect(
      await page
        .getByRole('row')
        .filter({ hasText: `crm:${ids.badCountry}` })
        .count(),
    ).toBe(0);
  });

  it('conflicts: the admin keeps the CRM value; after the next sync both sides agree', async () => {
    // The record page marks the field the two sides disagree on, and only that one.
    await go(`record/sf/${ids.conflict}`);
    await page.locator('table.sides tbody tr').first().waitFor();
    expect(await page.locator('tr.differs th').allTextContents()).toEqual(['Notes differs']);
    await expect.poll(() => page.getByRole('row', { name: /^Notes/ }).textContent(), { timeout: 10_000 }).toBe('Notes differsNotes from the CRMNotes from the referralFirst notes');
    await go('issues');
    const keep = page.getByRole('button', { name: `Keep the CRM value of notes for ${ids.conflict}` });
    const row = page.getByRole('row').filter({ has: keep });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/Notes from the CRM.*Notes from the referral.*First notes/);
    await shot(page, 'conflicts');
    await keep.click();
    await page.getByRole('status').filter({ hasText: 'the CRM value is kept' }).waitFor();
    await svc.runNow('sf');
    expect((await referralOf(ids.conflict)).referral.details?.notes).toBe('Notes from the CRM');
    expect(sf.get('Opportunity', ids.conflict).Description).toBe('Notes from the CRM');
    await go(`record/sf/${ids.conflict}`);
    const notes = page.getByRole('row', { name: /^Notes/ });
    await expect.poll(() => notes.textContent(), { timeout: 10_000 }).toBe('NotesNotes from the CRMNotes from the CRMNotes from the CRM');
    await accessible();
  });

  it("sync log: a rep's edit appears in its run with the outcome, and the record shows both sides", async () => {
    sf.update('Opportunity', ids.edited, { Amount: 99_000 });
    await go('overview');
    const latest = (await runs())[0]!.id;
    await page.getByRole('region', { name: 'sf Salesforce' }).getByRole('button', { name: 'Sync now' }).click();
    await until('the triggered run', async () => (await runs()).some((r) => r.id > latest && r.status !== 'running'));
    const run = (await runs())[0]!;
    await go('log');
    await page.getByRole('link', { name: `Run ${run.id}`, exact: true }).click();
    await page.getByRole('heading', { name: `Run ${run.id}` }).waitFor();
    await page.getByLabel('Outcome').selectOption('updated');
    await page.getByRole('searchbox').fill(ids.edited);
    await page.getByRole('button', { name: 'Search' }).click();
    const entry = page.locator('tr[data-outcome="updated"]').filter({ hasText: ids.edited });
    await entry.waitFor();
    await expect.poll(() => entry.textContent(), { timeout: 10_000 }).toContain('Wingtip amount test');
    // The outcome filter is applied by the server: the same search under another outcome finds nothing.
    await page.getByLabel('Outcome').selectOption('created');
    await page.getByText('No records match.').waitFor();
    await page.getByLabel('Outcome').selectOption('updated');
    await entry.waitFor();
    await accessible();
    await shot(page, 'sync-log');
    await entry.getByRole('link', { name: 'Wingtip amount test' }).click();
    await page.getByRole('heading', { name: 'Wingtip amount test' }).waitFor();
    await expect.poll(() => page.getByRole('row', { name: /^Deal value/ }).textContent(), { timeout: 10_000 }).toBe('Deal value990009900099000');
    await expect
      .poll(
        () =>
          page
            .getByRole('listitem')
            .filter({ hasText: `run ${run.id}` })
            .textContent(),
        { timeout: 10_000 },
      )
      .toContain('updated');
    const next = page.getByRole('region', { name: 'Next sync' });
    await expect.poll(() => next.textContent(), { timeout: 10_000 }).toContain('Nothing to do: both sides agree.');
    // A new CRM edit: the record page says what the next sync would do with it (a dry run), before any sync.
    sf.update('Opportunity', ids.edited, { Amount: 98_000 });
    await page.reload();
    await expect.poll(() => next.textContent(), { timeout: 10_000 }).toContain('It would update the referral.');
    await accessible();
    await shot(page, 'record');
  });

  it('referrals: the inbound view lists the Microsoft referral with its days left; the heart makes it a favorite', async () => {
    await go('referrals/sf/inbound');
    const row = page.locator(`tr[data-referral="${ids.inbound}"]`);
    await row.waitFor();
    const expires = (await sfConn().referrals.read(ids.inbound))!.referral.expirationDateTime!;
    const days = Math.floor((Date.parse(expires) - Date.now()) / 86_400_000);
    expect(days).toBeGreaterThan(0);
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells).toContain('Adatum inbound console test');
    // The sync made an opportunity of it: the name opens that record.
    const crmId = sf.all('Opportunity').find((o) => o.Referral_Id__c === ids.inbound)!.Id as string;
    await expect.poll(() => row.getByRole('link', { name: 'Adatum inbound console test' }).getAttribute('href'), { timeout: 10_000 }).toBe(`#/record/sf/${crmId}`);
    expect(cells).toContain('$120,000');
    expect(cells.at(-1)).toBe(`${days} days`);
    await accessible();
    await shot(page, 'referrals-inbound');
    await row.getByRole('button', { name: 'Favorite: Adatum inbound console test' }).click();
    await page.getByRole('status').filter({ hasText: 'added to favorites' }).waitFor();
    await page.getByRole('link', { name: 'Favorites' }).click();
    await page.locator(`tr[data-referral="${ids.inbound}"] button[aria-pressed="true"]`).waitFor();
    expect((await sfConn().referrals.read(ids.inbound))!.referral.favorite).toBe(true);
  });
});
