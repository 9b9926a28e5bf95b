export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__AOS_TEST_PG__;
  globalThis.__AOS_TEST_PG__ = undefined;
  await server?.stop();
}
