export default async function globalTeardown(): Promise<void> {
  await globalThis.__AOS_TEST_PG__?.stop();
}
