import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

/**
 * Swagger UI at /docs, driven in a real headless Chromium against the real server: what a user
 * does to try the API (authorize with the key, create an agent, submit a goal) must work under
 * the page's Content-Security-Policy, which an inject-based test cannot check.
 */
describe('Swagger UI in a browser', () => {
  let t: TestApp;
  let url: string;
  let browser: Browser | undefined;
  let page: Page;
  /** CSP violations, script errors and failed requests of the page: expected to stay empty. */
  const problems: string[] = [];
  /** The API requests the page sent (everything but /docs and its assets). */
  const sent: { method: string; url: string; key: string | undefined }[] = [];

  beforeAll(async () => {
    t = await startTestApp({ HOST: '127.0.0.1', PORT: '0' });
    url = await t.server.listen();
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) =>
      problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`),
    );
    page.on('request', (request) => {
      if (!request.url().startsWith(`${url}/docs`))
        sent.push({ method: request.method(), url: request.url(), key: request.headers()['x-aos-key'] });
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /**
   * Expands an operation, presses "Try it out", fills its path parameters and JSON body, presses
   * Execute and returns what Swagger UI then shows as the live response: its code and body.
   */
  async function tryItOut(operationId: string, body: unknown, pathParams: Record<string, string> = {}) {
    const operation = page.locator(`.opblock[id$="-${operationId}"]`);
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    for (const [name, value] of Object.entries(pathParams)) {
      await operation.locator(`tr[data-param-name="${name}"][data-param-in="path"] input`).fill(value);
    }
    await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await operation.locator('button.execute').click();
    // Shown once the request is answered, or has failed ("Failed to fetch", no code).
    const response = operation.locator('.live-responses-table tbody tr.response');
    const code = (await response.locator('.response-col_status').textContent())?.trim();
    const responseBody = response.locator('.response-col_description .highlight-code code').first();
    return { code, json: async () => JSON.parse((await responseBody.textContent()) ?? '') as unknown };
  }

  it('authorizes with the API key, creates an agent and submits a goal through Try it out', async () => {
    await page.goto(`${url}/docs`);
    await page.locator('.opblock[id$="-createAgent"]').waitFor();

    // Authorize: the API key dialog, Authorize, then Close.
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.modal-ux');
    await dialog.locator('input#api_key_value').fill(TEST_API_KEY);
    // The API key's form (the dialog also has the bearer scheme of /metrics).
    await dialog.locator('form', { hasText: 'api_key' }).getByRole('button', { name: 'Apply credentials' }).click();
    await dialog.getByText('Authorized', { exact: true }).waitFor();
    await dialog.locator('button.btn-done').first().click();
    await dialog.waitFor({ state: 'detached' });

    // POST /agents answers 201 with the new agent. The page's problems (a CSP violation, say) tell why not.
    const created = await tryItOut('createAgent', { name: 'browser-agent' });
    expect({ code: created.code, problems }).toEqual({ code: '201', problems: [] });
    const agent = (await created.json()) as { id: string; name: string };
    expect(agent).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'browser-agent' });

    // POST /agents/{id}/goals answers 202 with the new run.
    const submitted = await tryItOut('submitGoal', { goal: 'remember the browser' }, { id: agent.id });
    expect({ code: submitted.code, problems }).toEqual({ code: '202', problems: [] });
    const accepted = (await submitted.json()) as { run_id: string; status: string };
    expect(accepted).toEqual({ run_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });

    // Both went to this server with the key from the dialog.
    expect(sent).toEqual([
      { method: 'POST', url: `${url}/agents`, key: TEST_API_KEY },
      { method: 'POST', url: `${url}/agents/${agent.id}/goals`, key: TEST_API_KEY },
    ]);

    // And the server has both.
    const stored = await t.request({ method: 'GET', url: `/agents/${agent.id}` });
    expect([stored.statusCode, stored.json().name]).toEqual([200, 'browser-agent']);
    const run = await t.request({ method: 'GET', url: `/agents/${agent.id}/runs/${accepted.run_id}` });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({ id: accepted.run_id, agent_id: agent.id, goal: 'remember the browser' });
    expect(problems).toEqual([]);
  });
});
