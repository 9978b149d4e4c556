import type { Message, Producer } from 'kafkajs';
import type { OutputBatch, Sink } from './sink.js';

export interface KafkaSinkTopics {
  /** Block candidates, keyed by IMEI key (SPEC Output 2). */
  candidates: string;
  /** Dead-letter topic of rejected CDR messages (SPEC Output 3 objects). */
  rejects: string;
}

/**
 * Block candidates and rejects to Kafka. `write` only buffers; `flush` sends everything buffered with
 * acks=-1 and resolves once every broker acknowledged it. A failed send keeps the messages for the next
 * flush, so nothing is lost; a resend after an unknown outcome can duplicate (at-least-once).
 */
export class KafkaSink implements Sink {
  readonly name = 'kafka';
  private candidates: Message[] = [];
  private rejects: Message[] = [];
  private sending: Promise<void> = Promise.resolve();
  private closed = false;
  sentCandidates = 0;
  sentRejects = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topics: KafkaSinkTopics,
  ) {}

  async write(batch: OutputBatch): Promise<void> {
    if (this.closed) throw new Error('kafka sink is closed');
    for (const c of batch.candidates) this.candidates.push({ key: c.imei, value: JSON.stringify(c) });
    for (const r of batch.rejects) this.rejects.push({ key: r.source, value: JSON.stringify(r), headers: { reason: r.reason } });
  }

  /** Resolves once every message written before the call is acknowledged. */
  flush(): Promise<void> {
    const run = this.sending.catch(() => {}).then(() => this.sendPending());
    this.sending = run;
    return run;
  }

  private async sendPending(): Promise<void> {
    const cands = this.candidates;
    const rejs = this.rejects;
    if (cands.length === 0 && rejs.length === 0) return;
    this.candidates = [];
    this.rejects = [];
    const topicMessages = [];
    if (cands.length) topicMessages.push({ topic: this.topics.candidates, messages: cands });
    if (rejs.length) topicMessages.push({ topic: this.topics.rejects, messages: rejs });
    try {
      await this.producer.sendBatch({ topicMessages, acks: -1 });
      this.sentCandidates += cands.length;
      this.sentRejects += rejs.length;
    } catch (err) {
      // Put them back in front, in order, for the next flush.
      this.candidates = cands.concat(this.candidates);
      this.rejects = rejs.concat(this.rejects);
      throw err;
    }
  }

  describe(): string[] {
    return [`kafka: ${this.sentCandidates} block candidates to ${this.topics.candidates}, ${this.sentRejects} rejects to ${this.topics.rejects}`];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }
}
