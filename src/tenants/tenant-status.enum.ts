/** Whether a tenant's credentials are honoured. Stored as the PostgreSQL enum `tenant_status`. */
export enum TenantStatus {
  Active = 'active',
  /** Its keys are refused (401) and the operator cannot act in it; its data stays. */
  Suspended = 'suspended',
}
