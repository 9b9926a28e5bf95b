import { declinedText } from './declined-text';

describe('declinedText', () => {
  it('says who refused and why, or that the approval expired', () => {
    expect(declinedText({ status: 'rejected', answeredByNote: 'dana', approvalReason: 'wrong recipient' })).toBe(
      'a person (dana) rejected this call; it was not made: wrong recipient',
    );
    expect(declinedText({ status: 'rejected', answeredByNote: null, approvalReason: null })).toBe(
      'a person rejected this call; it was not made',
    );
    expect(declinedText({ status: 'expired', answeredByNote: null, approvalReason: null })).toMatch(/in time/);
  });
});
