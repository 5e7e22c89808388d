import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { platformJsonSchema } from '../../../lib/spec';
import { referencePlatform } from '../../../stacks/reference-platform';

const schemaFile = path.join(__dirname, '..', '..', '..', 'schemas', 'platform-spec.schema.json');

describe('PlatformSpec JSON Schema', () => {
  const schema = platformJsonSchema();
  const body = Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema'));
  const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(body);

  it('accepts the reference platform (an independent validator agrees with zod)', () => {
    expect(validate(referencePlatform)).toBe(true);
  });

  it('rejects unknown keys, so editors flag typos', () => {
    expect(validate({ ...referencePlatform, modles: [] })).toBe(false);
    expect(validate.errors).toEqual(expect.arrayContaining([expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'modles' } })]));
  });

  it('documents defaults and drops the TypeScript-only token branches', () => {
    const text = JSON.stringify(schema);
    expect(text).toContain('@default 20');
    expect(text).not.toContain('cdk-mlops:unresolved-token');
  });

  it('is committed up to date (npm run schema regenerates it)', () => {
    const committed = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as unknown;
    expect(committed).toEqual(schema);
  });
});
