// @vitest-environment happy-dom
/**
 * The traffic filter means what the engine's ExchangeFilter means (src/engine/capture/search.ts
 * `matcher`), so the list and an export filtered by the engine agree: the box is the filter
 * language (free text over the summary when matched locally), the controls are the fields.
 * Table-driven.
 */
import { describe, expect, it } from 'vitest';
import {
  emptyFilter,
  exchangeMatcher,
  isFilterActive,
  toApiFilter,
  type TrafficFilter,
} from '../../../src/renderer/src/features/traffic/exchange-filter.js';
import { fakeSummary } from '../../support/fake-client.js';

const rows = [
  fakeSummary({ id: 1, method: 'GET', url: '/api/items', status: 200, route: 'api' }),
  fakeSummary({ id: 2, method: 'POST', url: '/api/orders', status: 502, route: 'api' }),
  fakeSummary({
    id: 3,
    method: 'GET',
    url: '/',
    host: 'app.localhost',
    status: 0,
    outcome: 'aborted',
    route: 'site',
    member: 'http://127.0.0.1:3000',
  }),
  fakeSummary({
    id: 4,
    method: 'get',
    url: '/x',
    status: 301,
    route: undefined,
    member: undefined,
  }),
];

const cases: [string, Partial<TrafficFilter>, number[]][] = [
  ['nothing set matches all', {}, [1, 2, 3, 4]],
  ['text is a case-insensitive substring', { text: 'ORDERS' }, [2]],
  ['text matches the host', { text: 'app.local' }, [3]],
  ['text matches the status', { text: '502' }, [2]],
  ['text matches the member', { text: ':3000' }, [3]],
  ['text is trimmed', { text: '  items ' }, [1]],
  ['methods match exactly (case as sent)', { methods: ['GET'] }, [1, 3]],
  ['several methods are alternatives', { methods: ['GET', 'POST'] }, [1, 2, 3]],
  ['status class 5', { statusClasses: [5] }, [2]],
  ['status class 0 is no response', { statusClasses: [0] }, [3]],
  ['classes are alternatives', { statusClasses: [2, 3] }, [1, 4]],
  ['route', { route: 'site' }, [3]],
  ['member', { member: 'http://127.0.0.1:3000' }, [3]],
  ['criteria combine with and', { methods: ['GET'], route: 'api' }, [1]],
];

describe('exchangeMatcher', () => {
  it.each(cases)('%s', (_name, patch, ids) => {
    const match = exchangeMatcher({ ...emptyFilter(), ...patch });
    expect(rows.filter(match).map((r) => r.id)).toEqual(ids);
  });
});

describe('toApiFilter', () => {
  it('is undefined when nothing is set', () => {
    expect(toApiFilter(emptyFilter())).toBeUndefined();
    expect(isFilterActive({ ...emptyFilter(), text: '   ' })).toBe(false);
  });

  it('names the engine filter fields; the box is the filter-language query', () => {
    expect(
      toApiFilter({
        text: ' x ',
        methods: ['GET'],
        statusClasses: [4],
        route: 'api',
        member: 'http://m',
      }),
    ).toEqual({
      query: 'x',
      methods: ['GET'],
      statusClasses: [4],
      routes: ['api'],
      members: ['http://m'],
    });
  });
});
