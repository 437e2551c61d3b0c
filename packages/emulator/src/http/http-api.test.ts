import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, TimCodeError } from '../index.js';
import type { Emulator } from '../types.js';
import { createHttpApi, type HttpApiEmulator } from './http-api.js';
import { type ApiClient, createApiClient } from './http-test-client.js';
import { MAX_BODY_BYTES } from './json-body.js';

let emulator: Emulator;
let api: ApiClient;
const logLines: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    sdkAppId: 1400000099,
    secretKey: 'http-api-test-secret',
    log: (line) => logLines.push(line),
  });
  api = createApiClient(emulator.adminUrl);
});

afterAll(async () => {
  await emulator?.close();
});

function snapshot() {
  return { users: emulator.listUsers(), groups: emulator.listGroups() };
}

describe('HTTP API dispatch', () => {
  it('answers 400 for bad JSON, a wrong content type and an oversized body, changing nothing', async () => {
    const before = snapshot();
    const badJson = await api.raw('POST', '/admin/users', {
      body: '{"userId": "json_secret_value"',
      contentType: 'application/json',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toEqual({
      code: 'bad_request',
      message: 'the body is not valid JSON; send a JSON object',
    });

    const wrongType = await api.raw('POST', '/admin/users', { body: '{"userId":"typed_user"}' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error?.message).toMatch(
      /Content-Type: application\/json.*got "text\/plain"/,
    );

    const huge = JSON.stringify({ userId: 'huge_user', nick: 'x'.repeat(MAX_BODY_BYTES) });
    const tooBig = await api.raw('POST', '/admin/users', {
      body: huge,
      contentType: 'application/json',
    });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error?.message).toMatch(/larger than 1048576 bytes/);

    const charset = await api.raw('POST', '/admin/users', {
      body: '{"userId":"charset_user"}',
      contentType: 'application/json; charset=utf-8',
    });
    expect(charset.status).toBe(201);
    expect(snapshot().users).toEqual([...before.users, emulator.getUser('charset_user')]);
    expect(snapshot().groups).toEqual(before.groups);
    expect(logLines.join('\n')).not.toContain('json_secret_value');
  });

  it('keeps serving after a refused oversized body', async () => {
    // Streamed (chunked, no Content-Length), so the cap is enforced while reading.
    const streamed = await fetch(new URL('/admin/users', emulator.adminUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          const head = `{"userId":"streamed_user","nick":"${'y'.repeat(MAX_BODY_BYTES)}`;
          controller.enqueue(new TextEncoder().encode(head));
          controller.enqueue(new TextEncoder().encode('"}'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(400);
    expect(((await streamed.json()) as { error: { message: string } }).error.message).toMatch(
      /larger than 1048576 bytes/,
    );
    expect(emulator.getUser('streamed_user')).toBeUndefined();
    expect((await api.call('GET', '/admin/users')).status).toBe(200);
  });

  it('answers 404 for unknown routes and 405 with Allow for wrong methods', async () => {
    for (const path of ['/', '/admin', '/admin/nope', '/v1/agents/x/y/z', '/admin/users/a/b/c']) {
      const answer = await api.call('GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body.error?.code).toBe('not_found');
    }
    const put = await api.call('PUT', '/admin/users');
    expect(put.status).toBe(405);
    expect(put.body.error?.code).toBe('method_not_allowed');
    expect(put.headers.get('allow')).toBe('GET, POST');
    const del = await api.call('DELETE', '/v1/agents');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('POST');
    expect((await api.call('GET', '/admin/groups/g/members')).headers.get('allow')).toBe(
      'POST, DELETE',
    );
  });

  it('answers every route in JSON with no-store caching', async () => {
    const answer = await fetch(new URL('/admin/users', emulator.adminUrl));
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await answer.json()).toEqual({ users: emulator.listUsers() });
  });

  it('decodes path segments and refuses malformed percent-encoding', async () => {
    await api.call('POST', '/admin/users', { userId: 'pct@user' });
    const got = await api.call('GET', '/admin/users/pct%40user');
    expect(got.status).toBe(200);
    const bad = await api.call('GET', '/admin/users/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('bad_request');
  });

  it('answers 400 to a request target that is not a URL, and keeps serving', async () => {
    const { port } = new URL(emulator.adminUrl);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain('"code":"bad_request"');
    expect((await api.call('GET', '/admin/users')).status).toBe(200);
  });
});

describe('HTTP API dispatch with a misbehaving emulator (edge cases the real one cannot produce on demand)', () => {
  let server: Server;
  const lines: string[] = [];

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('answers 409 with the message of a refusal (TimCodeError), and 500 for any other failure', async () => {
    const misbehaving = {
      createUser: (userId: string) => {
        if (userId === 'broken') throw new RangeError('Maximum call stack size exceeded');
        throw new TimCodeError(10004, 'user "dup" already exists; pick another userId');
      },
      // A value JSON cannot encode: the answer itself fails, as a bug in this layer would.
      listUsers: () => [{ userId: 'x', nick: '', createdAt: 10n }],
    } as unknown as HttpApiEmulator;
    server = createServer(
      createHttpApi(misbehaving, {
        sdkAppId: 1,
        credentialTtlSeconds: 60,
        exchangeRateLimit: { attempts: 1, windowMs: 1000 },
        now: Date.now,
        log: (line) => lines.push(line),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = createApiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);

    const conflict = await client.call('POST', '/admin/users', { userId: 'dup' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toEqual({
      code: 'conflict',
      message: 'user "dup" already exists; pick another userId',
    });

    const internal = await client.call('GET', '/admin/users');
    expect(internal.status).toBe(500);
    expect(internal.body.error?.code).toBe('internal');
    expect(lines.some((line) => line.startsWith('http: internal error on GET /admin/users'))).toBe(
      true,
    );
    expect((await client.call('POST', '/admin/users', { userId: 'again' })).status).toBe(409);
    const broken = await client.call('POST', '/admin/users', { userId: 'broken' });
    expect(broken.status).toBe(500);
    expect(broken.body.error).toEqual({
      code: 'internal',
      message: 'the emulator failed to handle the request; see its log',
    });
  });
});
