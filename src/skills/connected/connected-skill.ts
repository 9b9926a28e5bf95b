import { Inject } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { protocolOptions } from '../../protocols/protocol-options';
import { storable } from '../../common/storable';
import { failureText, underlying } from '../../protocols/failure-text';
import type { ProtocolOptions } from '../../protocols/resolved-connection';
import { Skill, SkillContext, SkillError, SkillManifest, SkillResult } from '../skill';

/** The `connection` input every connected skill takes: the name of one of the agent's connections. */
export const CONNECTION_INPUT = {
  type: 'string',
  minLength: 1,
  maxLength: 100,
  description: "Name of one of the agent's connections (its secret is used for you, never shown)",
} as const;

export const EMAIL_LIST = {
  type: 'array',
  items: { type: 'string', format: 'email', maxLength: 320 },
  maxItems: 50,
} as const;

/**
 * A protocol library's failure as a skill error the model can read: the server's answer or the
 * network error, never a stack. Network-level failures may pass (retryable); a refusal (bad
 * login, a 4xx, a rejected command) does not.
 */
export function protocolError(what: string, error: unknown): SkillError {
  if (error instanceof SkillError) return error;
  const root = underlying(error);
  const e = (typeof root === 'object' && root !== null ? root : {}) as { code?: unknown; responseCode?: unknown };
  const said = failureText(error);
  const code = typeof e.code === 'string' && e.code ? `${e.code}: ` : '';
  const transient = [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'ETIMEOUT',
    'EAI_AGAIN',
    'CONNECT_TIMEOUT',
    'ESOCKET',
    'ECONNECTION',
    'NoConnection',
  ].includes(typeof e.code === 'string' ? e.code : '');
  const message = storable(`${what} failed: ${code}${said}`.replace(/\s+/g, ' '), 1_000);
  return new SkillError(
    message,
    transient || (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500),
    // What the server said is the world's words.
    true,
  );
}

/**
 * The base of skills that work through a connection: how their clients reach servers (the
 * connections' SSRF policy and timeout) comes from the configuration once.
 */
export abstract class ConnectedSkill<I, O> implements Skill<I, O> {
  abstract readonly manifest: SkillManifest;
  protected readonly options: ProtocolOptions;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.options = protocolOptions(config);
  }

  abstract execute(input: I, context: SkillContext): Promise<SkillResult<O>>;
}
