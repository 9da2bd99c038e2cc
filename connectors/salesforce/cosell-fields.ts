/**
 * The co-sell fields on Salesforce: what `setup salesforce` packages, what the default mapping writes back to,
 * and what the sandbox org declares (it imports this list, so the two never drift apart).
 */

import { HELP_PICKLIST } from '../../src/domain/index.js';
export type FieldType = 'id' | 'string' | 'textarea' | 'double' | 'currency' | 'percent' | 'date' | 'datetime' | 'boolean' | 'picklist' | 'reference' | 'url' | 'email' | 'phone';

export interface FieldDef {
  name: string;
  type: FieldType;
  label?: string;
  custom?: boolean;
  updateable?: boolean;
  length?: number;
  picklistValues?: string[];
  referenceTo?: string;
  relationshipName?: string;
  /** The parent's name for the list of these children (`Account.Opportunities`). */
  childRelationshipName?: string;
  /** Usable as the key of an upsert (`PATCH /sobjects/Opportunity/Referral_Id__c/{value}`). */
  externalId?: boolean;
}

export const CUSTOM_OPPORTUNITY_FIELDS: FieldDef[] = [
  { name: 'Sync_with_Partner_Center__c', type: 'boolean', label: 'Sync with Partner Center' },
  { name: 'How_can_Microsoft_help__c', type: 'picklist', label: 'How can Microsoft help?', picklistValues: [...HELP_PICKLIST] },
  { name: 'Visible_to_Microsoft__c', type: 'boolean', label: 'Referral Visibility' },
  { name: 'Partner_Center_Solutions__c', type: 'string', length: 255, label: 'Partner Center Solutions' },
  { name: 'Referral_Id__c', type: 'string', length: 64, label: 'Referral Identifier', externalId: true },
  { name: 'Referral_Link__c', type: 'url', length: 255, label: 'Referral Link' },
  { name: 'Referral_Status__c', type: 'string', length: 20, label: 'Referral Status' },
  { name: 'Referral_Substatus__c', type: 'string', length: 20, label: 'Referral Substatus' },
  { name: 'Engagement_Id__c', type: 'string', length: 64, label: 'Microsoft Engagement' },
  { name: 'Microsoft_CRM_Id__c', type: 'string', length: 64, label: 'Microsoft CRM Identifier' },
  { name: 'Cosell_Sync_Status__c', type: 'string', length: 255, label: 'Co-sell Sync Status' },
  { name: 'Decline_Reason__c', type: 'string', length: 255, label: 'Decline Reason' },
  { name: 'Loss_Reason__c', type: 'string', length: 255, label: 'Loss Reason' },
  { name: 'Customer_Contact_First_Name__c', type: 'string', length: 80, label: 'Customer Contact First Name' },
  { name: 'Customer_Contact_Last_Name__c', type: 'string', length: 80, label: 'Customer Contact Last Name' },
  { name: 'Customer_Contact_Email__c', type: 'email', length: 80, label: 'Customer Contact Email' },
  { name: 'Customer_Contact_Phone__c', type: 'phone', length: 40, label: 'Customer Contact Phone' },
  // Deal registration (issue 17): the rep's checkbox and contract name, and the review's progress.
  { name: 'Register_Deal__c', type: 'boolean', label: 'Register Deal with Microsoft' },
  { name: 'Customer_Contract_Name__c', type: 'string', length: 255, label: 'Customer Name on Contract' },
  { name: 'Registration_Status__c', type: 'string', length: 20, label: 'Registration Status' },
  { name: 'Registration_Reason__c', type: 'string', length: 255, label: 'Registration Reason' },
  { name: 'Registration_Action_Required__c', type: 'boolean', label: 'Registration Action Required' },
  { name: 'Registration_Line__c', type: 'string', length: 255, label: 'Registration' },
].map((f) => ({ ...f, custom: true, updateable: true }) as FieldDef);

/** On Task (Activity in the Metadata API): the notification's event key (issue 17). */
export const COSELL_ACTIVITY_FIELDS: FieldDef[] = [{ name: 'Cosell_Event_Key__c', type: 'string', length: 255, label: 'Co-sell Event', custom: true, updateable: true }];
