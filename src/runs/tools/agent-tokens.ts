import { Injectable } from '@nestjs/common';
import { SigningKeys } from '../../signing/signing-keys.service';
import { SkillError } from '../../skills/skill';
import type { ActiveRun } from '../drivers/run-driver';

/** An agent token lives this long: enough for one call with its retries, never more than 5 min. */
export const AGENT_TOKEN_TTL_S = 300;

/**
 * The agent's proof of itself to a service it calls through an `http` connection with
 * `auth: agent_token`: a JWT (`typ: agent+jwt`) naming the agent, its tenant and the run, for
 * that service's origin only, signed by the keys /.well-known/jwks.json publishes. AOS refuses
 * such a token at its own API (wrong `typ`, wrong `aud`).
 */
@Injectable()
export class AgentTokens {
  constructor(private readonly signing: SigningKeys) {}

  async mint(run: ActiveRun, origin: string): Promise<string> {
    if (!this.signing.available) {
      throw new SkillError('agent tokens need AOS_SECRET_KEY (the signing keys are sealed with it); ask the operator');
    }
    const { token } = await this.signing.sign(
      'agent+jwt',
      { sub: `agent:${run.agentId}`, tenant: run.claimed.tenant_id, run: run.id },
      { audience: origin, ttlS: AGENT_TOKEN_TTL_S },
    );
    return token;
  }
}
