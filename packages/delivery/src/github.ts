/**
 * The few GitHub REST calls the workflows need, over fetch (GITHUB_TOKEN from the job).
 * `baseUrl` is configurable so tests run against a local fake.
 */
export interface GitHub {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  paginate<T>(path: string): Promise<T[]>;
}

export function github(token: string, baseUrl = 'https://api.github.com'): GitHub {
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok && response.status !== 404) {
      throw new Error(
        `GitHub ${method} ${path}: ${response.status} ${(await response.text()).slice(0, 200)}`,
      );
    }
    if (response.status === 204 || response.status === 404) return undefined as T;
    return (await response.json()) as T;
  };
  return {
    request,
    async paginate<T>(path: string) {
      const all: T[] = [];
      for (let page = 1; page <= 50; page += 1) {
        const items = await request<T[]>(
          'GET',
          `${path}${path.includes('?') ? '&' : '?'}per_page=100&page=${page}`,
        );
        if (!Array.isArray(items) || items.length === 0) break;
        all.push(...items);
        if (items.length < 100) break;
      }
      return all;
    },
  };
}
