// The secret store port on Secrets Manager, cached per warm Lambda: one GetSecretValue per secret per TTL,
// shared by concurrent callers, so a burst of webhooks costs one call and not one per request. A failed
// read is not cached (the next request tries again). Errors name the secret, never its value.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../../shared/ports/secret-store.js';

export interface SecretsManagerStoreOptions {
  /** How long a value is reused; rotation reaches warm functions within this time. Default 5 minutes. */
  ttlMs?: number;
  now?: () => number;
}

export class SecretsManagerStore implements SecretStore {
  private readonly cache = new Map<string, { value: Promise<string>; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    options: SecretsManagerStoreOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const value = this.fetch(name);
    this.cache.set(name, { value, expiresAt: this.now() + this.ttlMs });
    value.catch(() => {
      if (this.cache.get(name)?.value === value) this.cache.delete(name);
    });
    return value;
  }

  private async fetch(name: string): Promise<string> {
    const out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
    if (typeof out.SecretString !== 'string' || out.SecretString === '') {
      throw new Error(`secret ${name} has no string value`);
    }
    return out.SecretString;
  }
}
