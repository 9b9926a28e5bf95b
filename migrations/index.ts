import { InitialSchema1764115200000 } from './1764115200000-InitialSchema';

/**
 * Every migration, oldest first. Listed explicitly (not globbed) so the compiled app, the tests
 * running TypeScript and the CLI load exactly the same set. Add new migrations here.
 */
export const ALL_MIGRATIONS = [InitialSchema1764115200000];
