import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { REQUEST_ROLE } from '../../migrations/1765065600000-Tenancy';
import { crossTenant } from '../common/db-scope';

/** Why the request role cannot isolate tenants here, or undefined when it can. */
export function requestRoleProblem(
  role: { rolsuper: boolean; rolbypassrls: boolean; can_enter: boolean } | undefined,
  user: string,
): string | undefined {
  const grant = `GRANT ${REQUEST_ROLE} TO ${user};`;
  if (!role)
    return `the role ${REQUEST_ROLE} does not exist: ask the DBA to run CREATE ROLE ${REQUEST_ROLE} NOLOGIN; ${grant}`;
  if (role.rolsuper || role.rolbypassrls) {
    return `the role ${REQUEST_ROLE} bypasses row-level security: ask the DBA to run ALTER ROLE ${REQUEST_ROLE} NOSUPERUSER NOBYPASSRLS;`;
  }
  if (!role.can_enter) return `${user} cannot enter the role ${REQUEST_ROLE}: ask the DBA to run ${grant}`;
  return undefined;
}

/**
 * Checks at start, migrations run or not, that requests can enter a role row-level security
 * binds: a start that cannot isolate tenants fails with one line saying what the DBA must do.
 */
@Injectable()
export class RequestRoleCheck implements OnModuleInit {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    // As the service's own role: current_user is who must be able to enter the request role.
    const [row] = await crossTenant('maintenance', () =>
      this.dataSource.query<
        { user: string; rolsuper: boolean | null; rolbypassrls: boolean | null; can_enter: boolean | null }[]
      >(
        `SELECT current_user AS user, r.rolsuper, r.rolbypassrls,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                OR pg_has_role(current_user, r.oid,
                     CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) AS can_enter
         FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = $1`,
        [REQUEST_ROLE],
      ),
    );
    const role =
      row.rolsuper === null
        ? undefined
        : { rolsuper: !!row.rolsuper, rolbypassrls: !!row.rolbypassrls, can_enter: !!row.can_enter };
    const problem = requestRoleProblem(role, row.user);
    if (problem) throw new Error(`Cannot isolate tenants: ${problem}`);
  }
}
