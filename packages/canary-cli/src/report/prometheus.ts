import { canaryTrack, STABLE_TRACK } from 'canary-context';
import type { Samples, ServiceSamples } from './verdict.ts';

interface RangeResult {
  readonly metric: Record<string, string>;
  readonly values: ReadonlyArray<[number, string]>;
}

/** The recording rules of manifests-microservices/observability that the report reads. */
export const REPORT_SERIES = {
  rate: 'service_track:requests:rate1m',
  errorRatio: 'service_track:error_ratio:rate1m',
  p50: 'service_track:request_duration_seconds:p50',
  p99: 'service_track:request_duration_seconds:p99',
} as const;

async function queryRange(base: string, query: string, startS: number, endS: number, stepS: number) {
  const url = new URL('/api/v1/query_range', base);
  url.searchParams.set('query', query);
  url.searchParams.set('start', String(startS));
  url.searchParams.set('end', String(endS));
  url.searchParams.set('step', String(stepS));
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new Error(`Prometheus at ${base} does not answer (${(err as Error).message})`);
  }
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { result: RangeResult[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus: ${body.error ?? response.status}`);
  return body.data?.result ?? [];
}

/**
 * The window's samples of every service that has a canary track for PR `pr`: request
 * rate, error ratio, p50 and p99, canary and stable side by side, one value per step.
 */
export async function fetchSamples(
  base: string,
  pr: number,
  windowS: number,
  stepS: number,
  now = Date.now() / 1000,
): Promise<ServiceSamples[]> {
  const tracks = `track=~"${STABLE_TRACK}|${canaryTrack(pr)}"`;
  const [rate, errorRatio, p50, p99] = await Promise.all(
    Object.values(REPORT_SERIES).map((series) =>
      queryRange(base, `${series}{${tracks}}`, now - windowS, now, stepS),
    ),
  );
  const side = (results: readonly RangeResult[], service: string, track: string) =>
    (results.find((r) => r.metric.service === service && r.metric.track === track)?.values ?? []).map(
      ([, v]) => Number(v),
    );
  const samples = (results: readonly RangeResult[], service: string): Samples => ({
    canary: side(results, service, canaryTrack(pr)),
    stable: side(results, service, STABLE_TRACK),
  });
  const services = [
    ...new Set(
      (rate ?? []).filter((r) => r.metric.track === canaryTrack(pr)).map((r) => r.metric.service ?? ''),
    ),
  ]
    .filter(Boolean)
    .sort();
  return services.map((service) => ({
    service,
    rate: samples(rate ?? [], service),
    errorRatio: samples(errorRatio ?? [], service),
    p50: samples(p50 ?? [], service),
    p99: samples(p99 ?? [], service),
  }));
}
