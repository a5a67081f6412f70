import 'aws-sdk-client-mock-vitest/extend';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore } from '../../lambdas/aws/secrets-manager-store.js';

const sm = mockClient(SecretsManagerClient);

describe('SecretsManagerStore', () => {
  beforeEach(() => sm.reset());

  it('reads a secret once for many and concurrent callers', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 's3cr3t' });
    const store = new SecretsManagerStore(new SecretsManagerClient({}));
    const values = await Promise.all(Array.from({ length: 20 }, () => store.get('arn:secret:hook')));
    values.push(await store.get('arn:secret:hook'));
    expect(new Set(values)).toEqual(new Set(['s3cr3t']));
    expect(sm).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: 'arn:secret:hook' });
  });

  it('reads again after the TTL, so a rotation reaches warm functions', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'new' });
    let t = 0;
    const store = new SecretsManagerStore(new SecretsManagerClient({}), { ttlMs: 1000, now: () => t });
    expect(await store.get('s')).toBe('old');
    t = 999;
    expect(await store.get('s')).toBe('old');
    t = 1000;
    expect(await store.get('s')).toBe('new');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('does not cache a failure', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('ThrottlingException')).resolves({ SecretString: 'v' });
    const store = new SecretsManagerStore(new SecretsManagerClient({}));
    await expect(store.get('s')).rejects.toThrow('ThrottlingException');
    expect(await store.get('s')).toBe('v');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('refuses a binary or empty secret, naming the secret only', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    await expect(new SecretsManagerStore(new SecretsManagerClient({})).get('hook')).rejects.toThrow(
      'secret hook has no string value',
    );
  });

  it('keeps secrets apart by name', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'a' })
      .resolves({ SecretString: 'A' })
      .on(GetSecretValueCommand, { SecretId: 'b' })
      .resolves({ SecretString: 'B' });
    const store = new SecretsManagerStore(new SecretsManagerClient({}));
    expect([await store.get('a'), await store.get('b'), await store.get('a')]).toEqual(['A', 'B', 'A']);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });
});
