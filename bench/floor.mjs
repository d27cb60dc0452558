// The floor: what any Node.js server pays to answer the bench's list, whatever it is built with.
// A plain node:http server that makes the same two upstream requests as keygate (undici, the
// Octopus page of 51 keys and the Hyperstack list, in parallel), parses both bodies, maps the keys
// to the same fields as keygate does (base64 global ids, ISO dates, hints, an end cursor) and
// writes the same JSON (for the bench's list, byte for byte what keygate answers). No GraphQL,
// no checks of any kind, no logging, no metrics: nothing keygate could leave out. bench/run.ts runs
// it beside keygate in the throughput section, so a CPU figure can be read against what the same
// machine needs for the work itself. Started like a gateway (`node bench/floor.mjs`, same env).
import { createServer } from 'node:http';
import { Pool } from 'undici';

const octopusUrl = new URL(process.env.OCTOPUS_URL);
const hyperstackUrl = new URL(process.env.HYPERSTACK_URL);
const octopus = new Pool(octopusUrl.origin, { connections: 20 });
const hyperstack = new Pool(hyperstackUrl.origin, { connections: 20 });
const octopusHeaders = { accept: 'application/json', 'x-octopus-apikey': process.env.OCTOPUS_API_KEY };
const hyperstackHeaders = { accept: 'application/json', api_key: process.env.HYPERSTACK_API_KEY };

async function get(pool, path, headers) {
  const response = await pool.request({ method: 'GET', path, headers });
  return JSON.parse(await response.body.text());
}

// keygate remembers /users/me; so does the floor.
const me = await get(octopus, '/api/users/me', octopusHeaders);
const octopusPath = `/api/users/${me.Id}/apikeys?skip=0&take=51`;
const hyperstackPath = `${hyperstackUrl.pathname.replace(/\/$/, '')}/api-key`;
const globalId = (type, id) => Buffer.from(`${type}:${id}`).toString('base64');
const cursor = (key) => Buffer.from(JSON.stringify([2, 'CREATED_AT:DESC', Date.parse(key.createdAt), key.id])).toString('base64url');
const iso = (text) => (text ? new Date(text).toISOString() : null);

async function list() {
  const [page, all] = await Promise.all([get(octopus, octopusPath, octopusHeaders), get(hyperstack, hyperstackPath, hyperstackHeaders)]);
  const keys = [];
  for (const k of page.Items) {
    keys.push({ id: globalId('OctopusApiKey', `default/${me.Id}/${k.Id}`), provider: 'OCTOPUS', providerKeyId: k.Id, name: k.Purpose, description: null, createdAt: iso(k.Created), expiresAt: iso(k.Expires), keyHint: k.ApiKey?.Hint ?? null });
  }
  for (const k of all.api_keys) {
    keys.push({ id: globalId('HyperstackApiKey', `default/${k.id}`), provider: 'HYPERSTACK', providerKeyId: String(k.id), name: k.name, description: k.description || null, createdAt: iso(k.created_at), expiresAt: null, keyHint: k.key ? k.key.slice(-4) : null });
  }
  keys.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  const nodes = keys.slice(0, 50);
  return { data: { apiKeys: { totalCount: page.TotalResults + all.api_keys.length, pageInfo: { hasNextPage: keys.length > 50, endCursor: nodes.length ? cursor(nodes.at(-1)) : null }, nodes } } };
}

createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (req.method !== 'POST') {
    res.setHeader('content-type', 'text/html');
    return res.end('<html><body>the floor has no GraphiQL</body></html>');
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString());
    list().then(
      (result) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(result));
      },
      () => {
        res.statusCode = 502;
        res.end();
      },
    );
  });
}).listen(Number(process.env.PORT), process.env.HOST);
