/**
 * A deterministic generator of bad API requests, driven by the app's own route table and zod
 * schemas, so every route (and any added later) gets them: wrong or missing keys, unknown and
 * malformed ids, bad query values and cursors, bodies with wrong types, missing or unknown fields,
 * `__proto__` keys, huge strings, unicode and NUL junk, deep nesting, invalid JSON, wrong content
 * types and charsets, oversized bodies, wrong methods and unknown paths. Each request is bad by
 * construction: a body or query mutation is kept only when the route's own schema refuses it, when
 * it names something that does not exist, or when it holds what the API refuses on every route
 * (NUL, a lone surrogate, an instant no route takes, bytes that are not UTF-8).
 */
import type { AnyRoute } from '../../src/api/route.js';
import { mulberry32 } from './prng.js';

export interface BadRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface BadRequestContext {
  sellerKey: string;
  providerKey: string;
  /** An endpoint of the seller: routes on it get bad bodies and queries, never good ones. */
  endpointId: string;
  /** Bodies the route's schema accepts (references in them must not exist). */
  sampleBodies: Record<string, object>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';
const UNICODE_JUNK = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u200b\ufeff',
  '💥🔥'.repeat(40),
  'ﷺ'.repeat(300),
  'é'.repeat(5000),
  '\r\n\t',
];
/**
 * Instants no route takes (core/instant.ts): offsets beyond ±14:00, years that are not 4 digits
 * from 0001 to 9999 (also once moved to UTC), days and times the calendar lacks.
 */
const BAD_INSTANTS = [
  '2026-01-01T00:00:00+25:00',
  '2026-04-22T19:45:00+99:00',
  '2026-04-22T19:45:00+14:59',
  '-000001-04-22T19:45:00Z',
  '+012345-04-22T19:45:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-12:00',
  '2026-02-30T10:00:00Z',
  '2025-02-29T10:00:00Z',
  '2026-04-22T24:00:00Z',
  '2016-12-31T23:59:60Z',
];
/** Byte sequences that are not UTF-8: a stray byte, an overlong `/`, an encoded surrogate. */
const NOT_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]];
const INSTANT_TEXT = /^\d{4}-\d{2}-\d{2}T/;
/** In JSON.stringify's output: an escaped NUL or lone surrogate (pairs are written as they are). */
const REFUSED_ANYWHERE = /\\u(?:0000|d[89a-f])/i;
const BAD_IDS = [
  'x'.repeat(101),
  '%ED%A0%80',
  'y'.repeat(5000),
  '%00',
  '%E0%A4%A',
  '%',
  '..%2F..%2Fetc%2Fpasswd',
  "'%20OR%20'1'%3D'1",
  '%F0%9F%92%A5',
  '%C0%AF',
  '%u0000',
];
const INVALID_JSON = [
  '{',
  '{"a":}',
  "{'a':1}",
  '{"a":1,}',
  '[1,2',
  'undefined',
  'NaN',
  '{"a":1}garbage',
  '{"a":"\\x"}',
  '"unterminated',
  '{"a":1}{"b":2}',
];
const WRONG_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
];

export function createBadRequestGenerator(
  routes: readonly AnyRoute[],
  context: BadRequestContext,
  seed: number,
) {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const word = (min: number, max: number) =>
    Array.from({ length: min + int(max - min + 1) }, () => pick([...ALPHABET])).join('');
  const key = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;
  const isPrivate = (route: AnyRoute) => route.auth !== 'none';
  const goodAuth = (route: AnyRoute) =>
    `Bearer ${route.auth === 'provider' ? context.providerKey : context.sellerKey}`;
  const junkId = () => pick(['ep_', 'msg_', 'lead_', '', 'sel_']) + word(1, 60);
  /** The route's own id when it is the seller's endpoint, else one that does not exist. */
  const idFor = (route: AnyRoute, real: boolean) =>
    real && route.path.startsWith('/v1/endpoints/:id') ? context.endpointId : junkId();
  const pathOf = (route: AnyRoute, id: string) => route.path.replace(':id', id);
  const json = (route: AnyRoute, path: string, body: string, type = 'application/json') => ({
    method: route.method.toUpperCase(),
    path,
    headers: { authorization: goodAuth(route), 'content-type': type },
    body,
  });

  function wrongValue(current: Json): Json {
    const deep = (depth: number): Json => (depth === 0 ? 'bottom' : { a: deep(depth - 1) });
    const choices: Json[] = [
      12345,
      -1.5e308,
      true,
      {},
      [],
      ['a', 1, null],
      { $gt: '' },
      deep(200),
      'x'.repeat(10_001 + int(200_000)),
      pick(UNICODE_JUNK),
      null,
    ];
    return pick(choices.filter((value) => typeof value !== typeof current || value === null));
  }

  /** A body text the route's schema refuses, from its sample. */
  function badBodyText(route: AnyRoute): string {
    const base = (context.sampleBodies[key(route)] ?? {}) as Record<string, Json>;
    for (let tries = 0; tries < 50; tries += 1) {
      const body: Record<string, Json> = { ...base };
      const keys = Object.keys(body);
      const mutation = int(6);
      let text: string;
      if (mutation === 0 && keys.length > 0) {
        body[pick(keys)] = wrongValue(body[pick(keys)]);
        text = JSON.stringify(body);
      } else if (mutation === 1 && keys.length > 0) {
        delete body[pick(keys)];
        text = JSON.stringify(body);
      } else if (mutation === 2) {
        const extra = pick(['__proto__', 'constructor', 'prototype', '', word(1, 300), 'ünï']);
        const value = JSON.stringify(pick<Json>([{ polluted: true }, 'x', 1, [null]]));
        const rest = JSON.stringify(body).slice(1);
        text = `{${JSON.stringify(extra)}:${value}${rest === '}' ? '}' : `,${rest}`}`;
      } else if (mutation === 3) {
        text = JSON.stringify(pick<Json>([[], [base], 'string', 42, null, true]));
      } else if (mutation === 4 && keys.length > 0) {
        body[pick(keys)] = pick(UNICODE_JUNK);
        text = JSON.stringify(body);
      } else {
        text = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return text; // not JSON at all (or too deep): bad
      }
      if (route.body && !route.body.safeParse(parsed).success) return text;
      // NUL and lone surrogates are refused by the API even where the schema allows the text.
      if (REFUSED_ANYWHERE.test(text)) return text;
    }
    return '{"this body":"is refused by strict schemas"}';
  }

  /** The dot paths of the sample body's values that are instants (`from`, `lead.createdAt`). */
  function instantPaths(value: Json, path: string[] = []): string[][] {
    if (typeof value === 'string') return INSTANT_TEXT.test(value) ? [path] : [];
    if (value === null || typeof value !== 'object') return [];
    return Object.entries(value).flatMap(([k, v]) => instantPaths(v, [...path, k]));
  }

  /** The route's sample with one of its instants replaced by one no route takes, or null. */
  function badInstantText(route: AnyRoute): string | null {
    const sample = (context.sampleBodies[key(route)] ?? null) as Json;
    const paths = instantPaths(sample);
    if (paths.length === 0) return null;
    const body = structuredClone(sample) as Record<string, Json>;
    const path = pick(paths);
    let parent = body;
    for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string, Json>;
    parent[path[path.length - 1]] = pick(BAD_INSTANTS);
    return JSON.stringify(body);
  }

  /** The route's sample (or a small object) with bytes that are not UTF-8 inside a string. */
  function notUtf8Body(route: AnyRoute): Buffer {
    const text = JSON.stringify(context.sampleBodies[key(route)] ?? { x: 'y' });
    const at = text.indexOf('":"') + 3;
    const bytes = Buffer.from(pick(NOT_UTF8));
    if (at < 3) return Buffer.concat([Buffer.from('{"x":"'), bytes, Buffer.from('"}')]);
    return Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at))]);
  }

  function badQuery(route: AnyRoute): string | null {
    const schema = route.query;
    if (!schema) return null;
    for (let tries = 0; tries < 50; tries += 1) {
      const name = pick(['limit', 'status', 'cursor', 'messageType', 'leadId', 'test', 'from']);
      const value = pick([
        '0',
        '-1',
        'abc',
        '1e999',
        '201',
        '1.5',
        // Escaped: a raw space is not a request path Node's client sends.
        '%20',
        'bogus',
        word(501, 600),
        '%E0%A4%A',
        '%ED%A0%80',
        '%FF',
        '%00',
      ]);
      const query = { [name]: decodeSafe(value) };
      if (!schema.safeParse(query).success) return `${name}=${value}`;
      if (name === 'cursor') return `cursor=${encodeURIComponent(word(1, 200))}`;
    }
    return 'status=a&status=b';
  }

  function decodeSafe(text: string): string {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  }

  const generators: Array<(route: AnyRoute) => BadRequest | null> = [
    // Missing, malformed, unknown or wrong-kind keys.
    (route) => {
      if (!isPrivate(route)) return null;
      const authorization = pick([
        null,
        'Bearer',
        'Bearer ',
        `Bearer ${word(5, 80)}`,
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `bearer  ${context.sellerKey}x`,
        route.auth === 'seller' ? `Bearer ${context.providerKey}` : `Bearer ${context.sellerKey}`,
        `Bearer ${'k'.repeat(10_000)}`,
      ]);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization !== null) headers.authorization = authorization;
      const body = route.body ? JSON.stringify(context.sampleBodies[key(route)] ?? {}) : undefined;
      return {
        kind: 'auth',
        method: route.method.toUpperCase(),
        path: pathOf(route, idFor(route, true)),
        headers,
        body,
      };
    },
    // Ids that do not exist, are too long or are not even decodable.
    (route) => {
      if (!route.path.includes(':id')) return null;
      const id = random() < 0.5 ? junkId() : pick(BAD_IDS);
      const body = route.body
        ? random() < 0.5
          ? JSON.stringify(context.sampleBodies[key(route)] ?? {})
          : badBodyText(route)
        : undefined;
      return { ...json(route, pathOf(route, id), body ?? ''), kind: 'id', body };
    },
    // Query values the schema refuses, and cursors the API never returned.
    (route) => {
      const query = badQuery(route);
      if (query === null) return null;
      return {
        kind: 'query',
        method: route.method.toUpperCase(),
        path: `${pathOf(route, idFor(route, true))}?${query}`,
        headers: { authorization: goodAuth(route) },
      };
    },
    // Bodies the schema refuses (on the seller's own endpoint where the route has one).
    (route) => {
      if (!route.body) return null;
      return {
        ...json(route, pathOf(route, idFor(route, true)), badBodyText(route)),
        kind: 'body',
      };
    },
    // An instant no route takes, where the route's body has one (on the seller's own endpoint).
    (route) => {
      const text = route.body ? badInstantText(route) : null;
      if (text === null) return null;
      return { ...json(route, pathOf(route, idFor(route, true)), text), kind: 'instant' };
    },
    // Bytes the JSON parser refuses: any route, before routing.
    (route) => {
      const variant = int(6);
      const path = pathOf(route, idFor(route, !!route.body));
      if (variant === 0) return { ...json(route, path, pick(INVALID_JSON)), kind: 'invalid-json' };
      if (variant === 1) {
        const big = `{"name":"${'x'.repeat(1_100_000)}"}`;
        return { ...json(route, path, big), kind: 'oversized' };
      }
      if (variant === 2) {
        // Not UTF-8/16/32 (JSON's own), or a utf- name that does not exist.
        const type = `application/json; charset=${pick(['koi8-r', 'iso-8859-1', 'shift_jis', 'utf-xyz'])}`;
        return { ...json(route, path, '{}', type), kind: 'charset' };
      }
      if (variant === 3) {
        const request = json(route, path, '');
        return {
          ...request,
          kind: 'encoding',
          headers: {
            ...request.headers,
            'content-encoding': pick(['gzip', 'deflate', 'x-zip', 'compress']),
          },
          body: Buffer.from(word(10, 200)),
        };
      }
      if (variant === 4) {
        const request = json(route, path, '');
        return { ...request, kind: 'utf8', body: notUtf8Body(route) };
      }
      if (!route.body) return null;
      const type = pick(WRONG_TYPES);
      return {
        ...json(route, path, JSON.stringify(context.sampleBodies[key(route)] ?? {}), type),
        kind: 'content-type',
      };
    },
    // A method the path does not have, or a path that does not exist.
    (route) => {
      const methods = routes.filter((r) => r.path === route.path).map((r) => r.method);
      const other = ['get', 'post', 'patch', 'delete', 'put'].filter(
        (m) => !methods.includes(m as never),
      );
      if (random() < 0.5 && other.length > 0) {
        const method = pick(other).toUpperCase();
        return {
          kind: 'method',
          method,
          path: pathOf(route, junkId()),
          headers: { authorization: goodAuth(route), 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : '{}',
        };
      }
      const path = pick([
        `${pathOf(route, junkId())}/${word(1, 10)}`,
        `/v2${route.path.replace(':id', 'x')}`,
        `/v1/${word(1, 20)}`,
        '/v1/endpoints/%E0%A4%A/nope',
      ]);
      return { kind: 'path', method: 'GET', path, headers: { authorization: goodAuth(route) } };
    },
  ];

  return function next(): BadRequest {
    for (;;) {
      const route = pick(routes);
      const made = pick(generators)(route);
      if (made) return made;
    }
  };
}
