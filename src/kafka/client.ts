import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/schema.js';
import type { Logger } from '../ops/log.js';

/** A kafkajs client from the one config, its logs sent to ours (kafkajs errors as warn, the rest as debug). */
export function createKafka(cfg: Config['kafka'], log: Logger, role: string): Kafka {
  const conf: KafkaConfig = {
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    ssl: cfg.ssl,
    logLevel: log.enabled('debug') ? logLevel.INFO : logLevel.ERROR,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const fields = { kafkajs: entry.namespace, role, ...rest };
      if (entry.level <= logLevel.ERROR) log.warn(`kafkajs: ${message}`, fields);
      else log.debug(`kafkajs: ${message}`, fields);
    },
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
  };
  if (cfg.sasl) conf.sasl = { mechanism: cfg.sasl.mechanism, username: cfg.sasl.username, password: cfg.sasl.password } as SASLOptions;
  return new Kafka(conf);
}

/** Kafka message key of a CDR: its 14-digit IMEI key, so one device's CDRs share a partition. */
export function imeiMessageKey(imei: unknown): string | null {
  if (typeof imei === 'number' && Number.isFinite(imei)) imei = String(imei);
  if (typeof imei !== 'string' || imei.length === 0) return null;
  return imei.length >= 14 ? imei.slice(0, 14) : imei;
}
