/** Hash routes: #/jobs, #/jobs/<id>, #/upload, #/events?type=&since=&until=, #/schemas, #/schemas/<type>. */
export type Route =
  | { name: 'jobs' }
  | { name: 'job'; jobId: string }
  | { name: 'upload' }
  | { name: 'events'; type: string; since: string; until: string }
  | { name: 'schemas'; type?: string }
  | { name: 'notFound'; path: string };

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function parseRoute(hash: string): Route {
  const [rawPath = '', rawQuery = ''] = hash.replace(/^#/, '').split('?', 2);
  const path = rawPath.replace(/\/+$/, '') || '/jobs';
  const query = new URLSearchParams(rawQuery);
  const parts = path.split('/').slice(1).map(decode);
  if (parts.some((part) => part === undefined || part === '')) return { name: 'notFound', path };
  const [section, id, ...rest] = parts as string[];
  if (rest.length > 0) return { name: 'notFound', path };
  switch (section) {
    case 'jobs':
      return id === undefined ? { name: 'jobs' } : { name: 'job', jobId: id };
    case 'upload':
      return id === undefined ? { name: 'upload' } : { name: 'notFound', path };
    case 'events':
      return id === undefined
        ? {
            name: 'events',
            type: query.get('type') ?? '',
            since: query.get('since') ?? '',
            until: query.get('until') ?? '',
          }
        : { name: 'notFound', path };
    case 'schemas':
      return id === undefined ? { name: 'schemas' } : { name: 'schemas', type: id };
    default:
      return { name: 'notFound', path };
  }
}

export function hrefFor(route: Exclude<Route, { name: 'notFound' }>): string {
  const enc = encodeURIComponent;
  switch (route.name) {
    case 'jobs':
      return '#/jobs';
    case 'job':
      return `#/jobs/${enc(route.jobId)}`;
    case 'upload':
      return '#/upload';
    case 'events': {
      const query = new URLSearchParams();
      for (const name of ['type', 'since', 'until'] as const) if (route[name]) query.set(name, route[name]);
      const text = query.toString();
      return text ? `#/events?${text}` : '#/events';
    }
    case 'schemas':
      return route.type === undefined ? '#/schemas' : `#/schemas/${enc(route.type)}`;
  }
}

/** The navigation entry a route belongs to (for aria-current). */
export const sectionOf = (route: Route): string =>
  route.name === 'job' ? 'jobs' : route.name === 'notFound' ? '' : route.name;
