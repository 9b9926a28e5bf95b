/**
 * The layers of src/ (docs/architecture.md §2), lowest first. A folder imports only from folders
 * in lower layers (never a peer, never one above), so no folder cycle can form and nothing imports
 * the engine (runs). Type-only imports count: they tie folders together as much as values do.
 * The files at the root of src/ (main, bootstrap, app.module, entities, data-source) are the
 * wiring: they may import every folder, and no folder imports them (openapi's CLI excepted: it
 * builds the app to print its document).
 */
const LAYERS = [
  ['config'],
  ['common'],
  ['database', 'metrics', 'protocols'],
  ['events', 'models', 'secrets', 'limits'],
  ['skills', 'signing'],
  ['agents', 'planner'],
  ['run-record', 'connections'],
  ['memory'],
  ['runs', 'webhooks', 'events-api', 'health', 'openapi', 'tenants'],
];

const known = LAYERS.flat();
const layerRules = LAYERS.flatMap((layer, i) =>
  layer.map((folder) => {
    const notBelow = LAYERS.slice(i)
      .flat()
      .filter((f) => f !== folder);
    return {
      name: `layer-${folder}`,
      comment: `${folder} may import only from lower layers than its own (${LAYERS.slice(0, i).flat().join(', ') || 'none'})`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: `^src/(${notBelow.join('|')})/` },
    };
  }),
);

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-wiring-from-folders',
      comment: 'The root files wire the app; a domain folder never imports them',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: '^src/openapi/openapi\\.cli\\.ts$' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'folders-in-a-layer',
      comment: `Every folder of src/ has a layer in .dependency-cruiser.cjs (known: ${known.join(', ')})`,
      severity: 'error',
      from: { path: `^src/(?!(${known.join('|')})/)[^/]+/` },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'No module imports itself through others',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
