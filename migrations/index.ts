import { InitialSchema1764115200000 } from './1764115200000-InitialSchema';
import { RunEngine1764201600000 } from './1764201600000-RunEngine';
import { AgentLoop1764288000000 } from './1764288000000-AgentLoop';
import { Events1764374400000 } from './1764374400000-Events';
import { Connections1764547200000 } from './1764547200000-Connections';
import { Replay1764633600000 } from './1764633600000-Replay';
import { Taint1764720000000 } from './1764720000000-Taint';
import { Robustness1764806400000 } from './1764806400000-Robustness';
import { RunRecord1764892800000 } from './1764892800000-RunRecord';
import { RecallCandidates1764979200000 } from './1764979200000-RecallCandidates';
import { Tenancy1765065600000 } from './1765065600000-Tenancy';
import { Identity1765152000000 } from './1765152000000-Identity';

/**
 * Every migration, oldest first. Listed explicitly (not globbed) so the compiled app, the tests
 * running TypeScript and the CLI load exactly the same set. Add new migrations here.
 */
export const ALL_MIGRATIONS = [
  InitialSchema1764115200000,
  RunEngine1764201600000,
  AgentLoop1764288000000,
  Events1764374400000,
  Connections1764547200000,
  Replay1764633600000,
  Taint1764720000000,
  Robustness1764806400000,
  RunRecord1764892800000,
  RecallCandidates1764979200000,
  Tenancy1765065600000,
  Identity1765152000000,
];
