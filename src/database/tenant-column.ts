import { PrimaryColumn } from 'typeorm';

/**
 * The tenant of a row, first column of its primary key. Filled by default from the transaction's
 * tenant (`aos_current_tenant()`), which row-level security also checks.
 */
export const TenantIdColumn = (primaryKeyConstraintName: string): PropertyDecorator =>
  PrimaryColumn({ name: 'tenant_id', type: 'uuid', default: () => 'aos_current_tenant()', primaryKeyConstraintName });

/** A composite join on (tenant_id, <column>): every foreign key of a tenant table carries the tenant. */
export function tenantJoin(column: string, foreignKeyConstraintName: string) {
  return [
    { name: 'tenant_id', referencedColumnName: 'tenantId', foreignKeyConstraintName },
    { name: column, referencedColumnName: 'id', foreignKeyConstraintName },
  ];
}
