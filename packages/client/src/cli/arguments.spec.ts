import { InvalidArgumentError } from 'commander';
import { apiKey, commaList, day, jsonObject, limitOrNone, seconds, serverUrl, wholeNumber } from './arguments.js';
import { UsageError } from './exit-codes.js';

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

  it('takes a limit as a whole number in range, or none for no limit', () => {
    const limit = limitOrNone(0, 100);
    expect(limit('0')).toBe(0);
    expect(limit('100')).toBe(100);
    expect(limit('none')).toBe('none');
    for (const bad of ['101', '-1', '2.5', 'None', 'unlimited', '']) expect(() => limit(bad)).toThrow(/or none/);
  });

  it('takes days as YYYY-MM-DD, real ones only', () => {
    expect(day('2026-12-01')).toBe('2026-12-01');
    expect(day('2028-02-29')).toBe('2028-02-29');
    for (const bad of ['2026-02-30', '2026-1-01', '2026-12-01T00:00:00Z', 'today', '']) {
      expect(() => day(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('splits comma lists, dropping blanks', () => {
    expect(commaList('run.*, memory.created,,')).toEqual(['run.*', 'memory.created']);
  });
});

describe('the server URL and the API key', () => {
  it('takes an http(s) URL, and never quotes one it refuses', () => {
    expect(serverUrl('https://aos.example.com/', '--url')).toBe('https://aos.example.com/');
    for (const bad of ['', 'localhost:8000', 'ftp://x', 'http://user:hunter2@aos.example.com']) {
      expect(() => serverUrl(bad, '--url')).toThrow(UsageError);
      expect(() => serverUrl(bad, '--url')).not.toThrow(/hunter2/);
    }
    expect(() => serverUrl('http://sam@aos.example.com', 'AOS_URL')).toThrow(/^AOS_URL must not carry a user name/);
  });

  it('takes a key of visible ASCII characters, and never quotes one it refuses', () => {
    expect(apiKey('k3y-_.~!', '--key')).toBe('k3y-_.~!');
    for (const bad of ['', 'SECRET\nKEY', 'SECRET KEY', 'SECRÉT', 'S'.repeat(513)]) {
      expect(() => apiKey(bad, '--key')).toThrow(UsageError);
      expect(() => apiKey(bad, '--key')).not.toThrow(/SECR|SSSS/);
    }
  });
});
