import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { extname, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { SkillError } from '../skill';
import type { MailParseTask, ParsedMessage } from './mail-parse.worker';

/** HTML longer than this is cut before conversion: the text kept is 16 KB, and conversion costs with length. */
export const MAX_HTML_CHARS = 256 * 1024;

/**
 * Mail is parsed (and its HTML converted) in worker threads, never on the service's event loop:
 * a crafted mail that costs seconds of CPU would otherwise stall every request and every run of
 * the instance, past their leases. Each parse has a deadline (AOS_PARSE_TIMEOUT_MS); past it the
 * thread is terminated and the read ends in an error the model reads.
 */
@Injectable()
export class MailParsing implements OnModuleDestroy {
  private pool: Piscina | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async parse(source: Buffer, signal: AbortSignal): Promise<ParsedMessage> {
    const timeoutMs = this.config.parsing.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const task: MailParseTask = { source, maxHtmlChars: MAX_HTML_CHARS };
    try {
      return (await this.workers().run(task, { signal: AbortSignal.any([signal, deadline]) })) as ParsedMessage;
    } catch (error) {
      if (signal.aborted) throw error;
      if (deadline.aborted) {
        throw new SkillError(
          `the message could not be converted to text within ${timeoutMs} ms (AOS_PARSE_TIMEOUT_MS): its content is too costly to read`,
        );
      }
      throw new SkillError(
        `the message could not be parsed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.destroy();
  }

  /** Started on first use, so an instance that reads no mail has no threads; idle ones exit. */
  private workers(): Piscina {
    this.pool ??= new Piscina({
      // The worker beside this file: .ts when the tests run the sources (Node strips its types), .js when built.
      filename: resolve(__dirname, `mail-parse.worker${extname(__filename)}`),
      minThreads: 0,
      maxThreads: this.config.parsing.threads,
      idleTimeout: 30_000,
      // A thread holds one message: bounded memory, whatever the message does.
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
    });
    return this.pool;
  }
}
