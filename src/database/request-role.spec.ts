import { requestRoleProblem } from './request-role';

describe('requestRoleProblem', () => {
  it('names what the DBA must run', () => {
    expect(requestRoleProblem(undefined, 'aos')).toBe(
      'the role aos_request does not exist: ask the DBA to run CREATE ROLE aos_request NOLOGIN; GRANT aos_request TO aos;',
    );
    expect(requestRoleProblem({ rolsuper: false, rolbypassrls: true, can_enter: true }, 'aos')).toMatch(/NOBYPASSRLS/);
    expect(requestRoleProblem({ rolsuper: true, rolbypassrls: false, can_enter: true }, 'aos')).toMatch(/NOSUPERUSER/);
    expect(requestRoleProblem({ rolsuper: false, rolbypassrls: false, can_enter: false }, 'aos')).toBe(
      'aos cannot enter the role aos_request: ask the DBA to run GRANT aos_request TO aos;',
    );
    expect(requestRoleProblem({ rolsuper: false, rolbypassrls: false, can_enter: true }, 'aos')).toBeUndefined();
  });
});
