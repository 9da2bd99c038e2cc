/** CRM answers parsed at the boundary (issue 16): the wrong shape is a RemoteError naming the call and the field. */
import { describe, expect, it } from 'vitest';
import { attributesSchema, collectionSchema, errorField, optionSetSchema } from '../../../connectors/dynamics365/answers.js';
import { parseAnswer } from '../../../connectors/shared/index.js';
import { RemoteError } from '../../../src/runtime/index.js';

const failure = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
};

describe('Dataverse answers', () => {
  it('a collection page without `value` is a RemoteError naming the call', () => {
    const err = failure(() => parseAnswer('Dynamics 365', 'read opportunities', collectionSchema, { '@odata.context': 'x' }, 200));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/^Dynamics 365 read opportunities: unexpected response \(value: /);
    expect((err as RemoteError).status).toBe(200);
  });

  it('a page passes with its rows and links as they are (unknown annotations kept)', () => {
    const page = { value: [{ opportunityid: 'a', '@odata.etag': 'W/"1"' }], '@odata.nextLink': 'https://x/next', '@odata.context': 'ctx' };
    expect(parseAnswer('Dynamics 365', 'read opportunities', collectionSchema, page)).toEqual(page);
  });

  it('option sets and attribute metadata are checked field by field', () => {
    expect(() => parseAnswer('Dynamics 365', 'describe salesstage', optionSetSchema, { OptionSet: { Options: [{ Value: '1' }] } })).toThrow(
      /describe salesstage: unexpected response \(OptionSet\.Options\.0\.Value: /,
    );
    expect(() => parseAnswer('Dynamics 365', 'describe opportunity', attributesSchema, { value: [{ AttributeType: 'String' }] })).toThrow(/value\.0\.LogicalName/);
  });

  it('an error body gives its code and message; another shape gives nothing', () => {
    expect(errorField({ error: { code: '0x80040217', message: 'Does Not Exist' } })).toEqual({ code: '0x80040217', message: 'Does Not Exist' });
    expect(errorField({ error: 'boom' })).toBeUndefined();
    expect(errorField('<html>')).toBeUndefined();
  });
});

describe('parseAnswer', () => {
  it('a text body (truncated or HTML) is named with its start', () => {
    expect(() => parseAnswer('Salesforce', 'pull opportunities', collectionSchema, '<html><body>Maintenance')).toThrow(
      /^Salesforce pull opportunities: unexpected response \(text: <html><body>Maintenance\)/,
    );
  });
});
