import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { principalOf } from '../../common/principal';
import { inTenant } from '../../common/db-scope';

/**
 * Runs each authenticated handler inside its principal's tenant: every statement the request
 * causes enters the request role and that tenant (src/database/scoped-pg.ts), so PostgreSQL
 * hides every other tenant's rows whatever the code asks for.
 */
@Injectable()
export class TenantScopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = principalOf(context.switchToHttp().getRequest<object>());
    if (!principal) return next.handle();
    return new Observable((subscriber) =>
      inTenant(principal.tenantId, () => next.handle().subscribe(subscriber), principal.actor),
    );
  }
}
