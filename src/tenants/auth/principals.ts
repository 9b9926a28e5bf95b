import { Injectable } from '@nestjs/common';
import { Actor, ActorKind } from '../../common/actor';
import type { CredentialRefusal, CredentialResolution } from '../../common/principal';
import type { KeyRecord } from '../keys/api-keys.repository';
import { KeyUsage } from '../keys/key-usage';
import { TenantStatus } from '../tenant-status.enum';
import { CredentialLookups } from './credential-lookups';

export const INVALID: CredentialRefusal = { status: 401, detail: 'Invalid API key' };

/** The principal of a proven credential: the checks every kind of credential shares. */
@Injectable()
export class Principals {
  constructor(
    private readonly lookups: CredentialLookups,
    private readonly usage: KeyUsage,
  ) {}

  /**
   * A key's principal once its secret, or a token minted from it (`viaToken`), was proven: the key
   * still live, its tenant active, and the tenant the request names its own.
   */
  async asKey(record: KeyRecord, named: string | undefined, viaToken = false): Promise<CredentialResolution> {
    const refuse = (why: string, asKey: string): CredentialRefusal => ({
      status: 401,
      detail: viaToken ? `Access token refused: ${why}` : asKey,
    });
    if (record.revoked_at !== null) return viaToken ? refuse('its key was revoked', '') : INVALID;
    if (record.expires_at !== null && new Date(record.expires_at).getTime() <= Date.now()) {
      return refuse('its key expired', 'API key expired');
    }
    if (record.tenant_status !== (TenantStatus.Active as string)) {
      return refuse("its key's tenant is suspended", "This key's tenant is suspended");
    }
    const refused = await this.namedTenant(named, record.tenant_id);
    if (refused) return refused;
    this.usage.record(record.tenant_id, record.id);
    const actor: Actor = { tenant_id: record.tenant_id, kind: ActorKind.Key, id: record.id };
    return {
      actor,
      tenantId: record.tenant_id,
      scopes: record.scopes,
      credentialId: `key:${record.id}`,
      requestsPerMinute: record.limits?.requests_per_minute ?? undefined,
    };
  }

  /** A credential acts in its own tenant only; naming another is answered as if it did not exist. */
  async namedTenant(named: string | undefined, own: string): Promise<CredentialRefusal | undefined> {
    if (named === undefined) return undefined;
    const tenant = await this.lookups.tenant(named);
    return tenant?.id === own ? undefined : { status: 404, detail: `Tenant ${named} not found` };
  }
}
