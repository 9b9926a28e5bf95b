import { Module } from '@nestjs/common';
import { PLANNER } from './planner';
import { RuleBasedPlanner } from './rule-based.planner';

@Module({
  providers: [RuleBasedPlanner, { provide: PLANNER, useExisting: RuleBasedPlanner }],
  exports: [PLANNER],
})
export class PlannerModule {}
