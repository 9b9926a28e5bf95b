import { TENANT_TABLES as TENANCY_TABLES } from './1765065600000-Tenancy';

/**
 * Every table a tenant owns today, parents first: the tenancy migration's list (frozen with it)
 * and the tables later migrations added under the same rules. The tests read this list.
 */
export const TENANT_TABLES = [...TENANCY_TABLES, 'refresh_tokens', 'model_usage'] as const;
