/**
 * Route selection as API Gateway HTTP APIs do it: the method must match, `{param}` matches one non-empty
 * path segment, and a route with fewer parameters (more literal segments first) wins over a greedier one.
 */
export interface Route<Target> {
  method: string;
  path: string;
  target: Target;
}

export interface RouteMatch<Target> {
  route: Route<Target>;
  routeKey: string;
  /** Decoded values of the `{param}` segments. */
  pathParameters: Record<string, string>;
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const parameters: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    const actual = got[i]!;
    const parameter = /^\{(.+)\}$/.exec(segment)?.[1];
    if (parameter) {
      if (!actual) return undefined;
      try {
        parameters[parameter] = decodeURIComponent(actual);
      } catch {
        parameters[parameter] = actual;
      }
    } else if (segment !== actual) return undefined;
  }
  return parameters;
}

const specificity = (path: string) => path.split('/').filter((segment) => segment.startsWith('{')).length;

export function matchRoute<Target>(
  routes: Route<Target>[],
  method: string,
  rawPath: string,
): RouteMatch<Target> | undefined {
  const candidates = routes
    .filter((route) => route.method === method)
    .map((route) => ({ route, parameters: matchPath(route.path, rawPath) }))
    .filter((candidate) => candidate.parameters !== undefined)
    .sort((a, b) => specificity(a.route.path) - specificity(b.route.path));
  const best = candidates[0];
  if (!best) return undefined;
  return {
    route: best.route,
    routeKey: `${best.route.method} ${best.route.path}`,
    pathParameters: best.parameters!,
  };
}
