import { InvalidArgumentError } from 'commander';
import { commaList, httpUrl, jsonObject, seconds, wholeNumber } from './arguments.js';

describe('option values', () => {
  it('takes whole numbers in range only', () => {
    const priority = wholeNumber(0, 9);
    expect(priority('7')).toBe(7);
    for (const bad of ['10', '-1', '1.5', 'x', '']) expect(() => priority(bad)).toThrow(InvalidArgumentError);
  });

  it('takes positive seconds', () => {
    expect(seconds('0.5')).toBe(0.5);
    for (const bad of ['0', '-2', 'soon']) expect(() => seconds(bad)).toThrow(InvalidArgumentError);
  });

  it('takes JSON objects, not other JSON', () => {
    expect(jsonObject('{"a": 1}')).toEqual({ a: 1 });
    for (const bad of ['[1]', '"s"', 'null', '{']) expect(() => jsonObject(bad)).toThrow(InvalidArgumentError);
  });

  it('splits comma lists, dropping blanks', () => {
    expect(commaList('run.*, memory.created,,')).toEqual(['run.*', 'memory.created']);
  });
});

describe('the server URL', () => {
  it('is an http(s) URL', () => {
    expect(httpUrl('https://aos.example.com/')).toBe('https://aos.example.com/');
    for (const bad of ['', 'localhost:8000', 'ftp://x']) expect(() => httpUrl(bad)).toThrow(InvalidArgumentError);
  });
});
