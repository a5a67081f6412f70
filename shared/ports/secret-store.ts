// The secret store port: Secrets Manager in AWS (cached), an environment variable locally.
export interface SecretStore {
  get(name: string): Promise<string>;
}
