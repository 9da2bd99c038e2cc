/**
 * `setup salesforce|dynamics365` add what deal registration and notifications need (issue 17): the
 * registration fields on the opportunity and the event-key field on tasks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeployPackage, CUSTOM_OPPORTUNITY_FIELDS } from '../../../connectors/salesforce/index.js';
import { startDataverse, type Dataverse } from '../../helpers/dataverse.js';

describe('setup salesforce', () => {
  it('packages the registration fields on Opportunity and the event key on Activity (Task), with field access', () => {
    const files = buildDeployPackage(CUSTOM_OPPORTUNITY_FIELDS, '62.0');
    const pkg = files.get('package.xml')!;
    for (const f of [
      'Register_Deal__c',
      'Customer_Contract_Name__c',
      'Registration_Status__c',
      'Registration_Reason__c',
      'Registration_Action_Required__c',
      'Registration_Line__c',
    ]) {
      expect(pkg).toContain(`<members>Opportunity.${f}</members>`);
    }
    expect(pkg).toContain('<members>Activity.Cosell_Event_Key__c</members>');
    expect(files.get('objects/Activity.object')).toContain('<fullName>Cosell_Event_Key__c</fullName>');
    expect(files.get('permissionsets/Cosell_Sync_Integration.permissionset')).toContain('<field>Activity.Cosell_Event_Key__c</field>');
  });
});

describe('setup dynamics365', () => {
  let dataverse: Dataverse;
  beforeAll(async () => {
    dataverse = await startDataverse();
  });
  afterAll(async () => dataverse.close());

  it('checks the task table as well as the opportunity table: nothing missing on an org that has both', async () => {
    expect(await dataverse.c.createMissingColumns(true)).toEqual([]);
  });
});
