/**
 * What the client is told when the upstream side of an exchange failed: one ProxyError per
 * kind of failure, naming the route and the backend and saying what to do about it.
 */
import { formatDuration } from '../shared/duration.js';
import type { ProxyError } from './error-page.js';
import type { ForwardFailure } from './forwarder/forwarder.js';
import type { UrlTarget } from './router.js';

export interface FailedUpstream {
  route: string;
  backend: UrlTarget;
  timeoutMs: number;
  /** Why this backend was chosen, for balanced routes. */
  why?: string;
}

export function failureToError(failure: ForwardFailure, at: FailedUpstream): ProxyError {
  const { origin, hostname } = at.backend;
  const base = { route: at.route, backend: origin + at.backend.path };
  const chosen = at.why === undefined ? '' : ` It was chosen because: ${at.why}.`;
  switch (failure.kind) {
    case 'timeout':
      return {
        ...base,
        status: 504,
        title: 'Backend timed out',
        detail: `${origin} did not answer within ${formatDuration(at.timeoutMs)} (the route's timeout). Raise the timeout of route '${at.route}' if it needs longer.${chosen}`,
      };
    case 'client-timeout':
      return {
        ...base,
        status: 408,
        title: 'Request Timeout',
        detail: `The client did not send the rest of its request body within ${formatDuration(at.timeoutMs)} (route '${at.route}''s timeout), so the request to ${origin} was cancelled. The backend was not at fault.${chosen}`,
      };
    case 'refused':
      return {
        ...base,
        status: 502,
        title: 'Backend refused the connection',
        detail: `Nothing accepted a connection on ${origin}. Start the backend, or point route '${at.route}' at the right port.${chosen}`,
      };
    case 'reset':
      return {
        ...base,
        status: 502,
        title: 'Backend closed the connection',
        detail: `${origin} closed the connection before sending a complete response (${failure.error.message}).${chosen}`,
      };
    case 'unresolved':
      return {
        ...base,
        status: 502,
        title: 'Backend host not found',
        detail: `The name ${hostname} could not be resolved.${chosen}`,
      };
    case 'protocol':
      return {
        ...base,
        status: 502,
        title: 'Backend sent an invalid response',
        detail: `${origin} answered with something that is not valid HTTP (${failure.error.message}).${chosen}`,
      };
    default:
      return {
        ...base,
        status: 502,
        title: 'Bad Gateway',
        detail: `${failure.error.message}${chosen}`,
      };
  }
}
