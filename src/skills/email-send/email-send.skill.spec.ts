import { stepMessageId } from './email-send.skill';

describe('stepMessageId', () => {
  it('is the same for every attempt of a run step, and differs between steps', () => {
    expect(stepMessageId('r1', 3, 'agent@example.com')).toBe('<aos.r1.3@example.com>');
    expect(stepMessageId('r1', 3, 'agent@example.com')).toBe(stepMessageId('r1', 3, 'agent@example.com'));
    expect(stepMessageId('r1', 4, 'agent@example.com')).not.toBe(stepMessageId('r1', 3, 'agent@example.com'));
  });
});
