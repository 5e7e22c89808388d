import { asList, asObject, asText, asTexts, asWholeNumber, fieldsOf, isJsonObject, sortedKeysJson } from '../../lib/json';

describe('JSON readers', () => {
  it('tells a JSON object from null, a list and a scalar', () => {
    expect([{}, null, [], 'x', 1, undefined].map(isJsonObject)).toEqual([true, false, false, false, false, false]);
    expect(asObject({ a: 1 })).toEqual({ a: 1 });
    expect(asObject(['a'])).toBeUndefined();
    expect(fieldsOf('x')).toEqual({});
    expect(fieldsOf({ a: 1 })).toEqual({ a: 1 });
  });

  it('reads one-or-many as a list, nothing as an empty one', () => {
    expect(asList(['a', 'b'])).toEqual(['a', 'b']);
    expect(asList('a')).toEqual(['a']);
    expect(asList(undefined)).toEqual([]);
    expect(asList(null)).toEqual([]);
  });

  it('reads strings and numbers as text, nothing else', () => {
    expect([asText('a'), asText(3), asText(true), asText({})]).toEqual(['a', '3', undefined, undefined]);
    expect(asTexts(['a', 2, null, { b: 1 }])).toEqual(['a', '2']);
    expect([asWholeNumber(3), asWholeNumber('12'), asWholeNumber('1.5'), asWholeNumber({ Ref: 'N' })]).toEqual([3, 12, undefined, undefined]);
  });

  it('writes equal values with keys in any order as the same text', () => {
    const a = sortedKeysJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: 'v' } });
    expect(a).toBe('{"a":{"c":"v","d":[{"x":2,"y":1}]},"b":1}');
    expect(sortedKeysJson({ a: { c: 'v', d: [{ x: 2, y: 1 }] }, b: 1 })).toBe(a);
  });
});
