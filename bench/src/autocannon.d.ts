/** The part of autocannon 8's API the bench uses (the package ships no types). */
declare module "autocannon" {
  /** A request template; `setupRequest` may rewrite it per request. */
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  }

  /** Options of a run. */
  export interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
  }

  /** Statistics of one quantity (latency ms, requests/s, bytes/s). */
  export interface AutocannonStat {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  /** The result of a run. */
  export interface AutocannonResult {
    latency: AutocannonStat;
    requests: AutocannonStat;
    throughput: AutocannonStat;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    "2xx": number;
  }

  /** Runs the load. @returns the result */
  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
  export default autocannon;
}
