/** What the global setup provides to test files (see vitest's provide/inject). */
declare module "vitest" {
  export interface ProvidedContext {
    pgServerUrl: string;
    pgTemplate: string;
    redisUrl: string;
  }
}

export {};
