import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Transactions for services, which see neither the DataSource nor SQL: `run` opens one and hands
 * its manager to the repositories the work calls; `manager` reads outside any.
 */
@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** The manager of no transaction: each statement commits on its own. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }
}
