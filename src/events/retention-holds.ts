import { Injectable } from '@nestjs/common';

/** The highest event id a reader lets retention delete, or undefined when it holds nothing back. */
export type RetentionHold = () => Promise<number | undefined>;

/**
 * The readers that retention must wait for (the NATS relay, webhook deliveries) register here, so
 * the events module never needs to know their tables: dependencies keep pointing at events.
 */
@Injectable()
export class RetentionHolds {
  private readonly holds = new Map<string, RetentionHold>();

  register(name: string, hold: RetentionHold): void {
    this.holds.set(name, hold);
  }

  /** Every registered hold's answer (a failing one fails the pass: better keep than lose). */
  async limits(): Promise<number[]> {
    const answers = await Promise.all([...this.holds.values()].map((hold) => hold()));
    return answers.filter((a): a is number => a !== undefined);
  }
}
