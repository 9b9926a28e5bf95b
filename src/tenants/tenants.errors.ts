import { ConflictError, NotFoundError } from '../common/domain-error';

export class TenantNotFoundError extends NotFoundError {
  constructor(ref: string) {
    super('TENANT.NOT_FOUND', `Tenant ${ref} not found`);
  }
}

export class TenantSlugTakenError extends ConflictError {
  constructor(slug: string) {
    super('TENANT.SLUG_TAKEN', `A tenant with slug "${slug}" already exists`);
  }
}

export class TenantHasAgentsError extends ConflictError {
  constructor(count: number) {
    super('TENANT.HAS_AGENTS', `The tenant still has ${count} agent(s): delete them first, or pass ?cascade=true`);
  }
}

export class DefaultTenantError extends ConflictError {
  constructor(what: string) {
    super('TENANT.DEFAULT', `The default tenant cannot be ${what}`);
  }
}

export class KeyNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('KEY.NOT_FOUND', `Key ${id} not found`);
  }
}
