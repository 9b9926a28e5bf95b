import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { classifyModelError, describeModelError } from './model-errors';

const anthropicError = (status: number, type: string, message: string) =>
  Anthropic.APIError.generate(status, { type: 'error', error: { type, message } }, undefined, new Headers());
const openAiError = (status: number, body: Record<string, unknown>) =>
  OpenAI.APIError.generate(status, { error: body }, undefined, new Headers());

describe('classifyModelError', () => {
  it.each([
    [anthropicError(529, 'overloaded_error', 'Overloaded'), 'retryable'],
    [anthropicError(500, 'api_error', 'boom'), 'retryable'],
    [anthropicError(429, 'rate_limit_error', 'slow down'), 'retryable'],
    [anthropicError(401, 'authentication_error', 'invalid x-api-key'), 'rejected'],
    [
      anthropicError(400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'),
      'context_exceeded',
    ],
    [openAiError(400, { code: 'context_length_exceeded', message: 'too long' }), 'context_exceeded'],
    [openAiError(429, { code: 'insufficient_quota', message: 'You exceeded your current quota' }), 'rejected'],
    [openAiError(429, { code: 'rate_limit_exceeded', message: 'slow down' }), 'retryable'],
    [openAiError(403, { message: 'no access' }), 'rejected'],
    [new Anthropic.APIConnectionError({ message: 'socket hang up' }), 'retryable'],
    [new OpenAI.APIConnectionTimeoutError(), 'retryable'],
    [new Anthropic.APIUserAbortError(), 'aborted'],
    [new TypeError('cannot read the answer'), 'rejected'],
  ])('%s → %s', (error, kind) => {
    expect(classifyModelError(error)).toBe(kind);
  });
});

describe('describeModelError', () => {
  it('says the status and the provider’s message, without keys, plain or masked', () => {
    const error = openAiError(401, {
      message: 'Incorrect API key provided: sk-proj-****abcd. Also sk-live-secret-123',
    });
    expect(describeModelError(error, ['sk-live-secret-123'])).toBe(
      '401 Incorrect API key provided: [redacted]. Also [redacted]',
    );
  });
});
