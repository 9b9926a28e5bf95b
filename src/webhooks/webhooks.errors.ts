import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-error';

export class WebhookNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('WEBHOOK.NOT_FOUND', `Webhook ${id} not found`);
  }
}

export class TooManyWebhooksError extends ConflictError {
  constructor(max: number) {
    super('WEBHOOK.LIMIT', `The agent already has ${max} webhooks; delete one first`);
  }
}

/** The URL reaches an address the SSRF policy refuses, or its host does not resolve. */
export class WebhookUrlRefusedError extends InvalidInputError {
  constructor(reason: string) {
    super('url', reason);
  }
}
