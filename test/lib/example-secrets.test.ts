import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { writeDemoCluster } from '../../cli/demo-cluster.js'
import { EXAMPLE_SECRETS, isLoopbackHost, readCluster, refuseExampleSecretsBeyondLoopback, withSecretsFromEnv } from '../../lib/cluster.js'
import { oclab } from '../helpers/cli.js'
import { repoRoot } from '../helpers/package.js'

const RANDOM = 'k3Jv9X2mQ8pL5sT1wZ7yB4nC6dF0gH2j'

t.test('the shipped cluster files carry only the published example secrets', async (t) => {
  for (const name of ['cluster.json', 'cluster.docker.json']) {
    const c = await readCluster(join(repoRoot, 'deploy', name), {})
    t.ok(EXAMPLE_SECRETS.has(c.adminToken), `${name}: adminToken is a known example`)
    t.ok(c.signing && EXAMPLE_SECRETS.has(c.signing.secret), `${name}: signing.secret is a known example`)
  }
})

t.test('OCLAB_ADMIN_TOKEN and OCLAB_SIGNING_SECRET replace the file’s secrets', async (t) => {
  const file = join(repoRoot, 'deploy', 'cluster.docker.json')
  const c = await readCluster(file, { OCLAB_ADMIN_TOKEN: RANDOM, OCLAB_SIGNING_SECRET: `${RANDOM}-s` })
  t.equal(c.adminToken, RANDOM)
  t.same(c.signing, { secret: `${RANDOM}-s`, ttlSeconds: 3600 }, 'the ttl stays the file’s')
  t.same(
    withSecretsFromEnv({ adminToken: 'a' }, { OCLAB_SIGNING_SECRET: 'x' }),
    { adminToken: 'a', signing: { ttlSeconds: 3600, secret: 'x' } },
    'a secret in the environment turns signing on',
  )
  t.same(withSecretsFromEnv({ adminToken: 'a' }, { OCLAB_ADMIN_TOKEN: '' }), { adminToken: 'a' }, 'an empty variable is unset')
  await t.rejects(
    readCluster(file, { OCLAB_ADMIN_TOKEN: 'short' }),
    { code: 'OCLAB_ERR_BAD_CONFIG', message: /\/adminToken/ },
    'the schema checks what the environment sets',
  )
})

t.test('loopback hosts', async (t) => {
  for (const h of ['127.0.0.1', '127.0.1.20', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) t.ok(isLoopbackHost(h), h)
  for (const h of ['0.0.0.0', '::', 'origin', '10.0.0.5', '192.0.2.1', '::ffff:10.0.0.1', 'fe80::1', '128.0.0.1', '127.example.com'])
    t.notOk(isLoopbackHost(h), h)
})

t.test('servers refuse to listen beyond loopback with an example secret', async (t) => {
  const example = await readCluster(join(repoRoot, 'deploy', 'cluster.docker.json'), {})
  t.throws(() => refuseExampleSecretsBeyondLoopback(example, 'origin', 'origin'), {
    code: 'OCLAB_ERR_EXAMPLE_SECRET',
    message:
      /^origin will not listen on origin \(not loopback\) with the example adminToken \(set OCLAB_ADMIN_TOKEN\) and signing\.secret \(set OCLAB_SIGNING_SECRET\)/,
  })
  t.doesNotThrow(() => refuseExampleSecretsBeyondLoopback(example, '127.0.0.1', 'origin'), 'on loopback the examples are fine')
  t.doesNotThrow(() => refuseExampleSecretsBeyondLoopback({ adminToken: RANDOM, signing: { secret: `${RANDOM}x`, ttlSeconds: 1 } }, '0.0.0.0', 'origin'))
  t.throws(
    () => refuseExampleSecretsBeyondLoopback({ adminToken: RANDOM, signing: example.signing }, '0.0.0.0', 'x'),
    { message: /example signing\.secret/ },
    'either secret alone is refused',
  )

  // Through the CLI, as `oclab origin|oca|steering` run them. 192.0.2.1 (TEST-NET-1) is no address of this
  // machine: were the check missing, listen would fail with EADDRNOTAVAIL and nothing would be sent anywhere.
  const dir = await mkdtemp(join(tmpdir(), 'oclab-example-secrets-'))
  const cluster = JSON.parse(await readFile(join(repoRoot, 'deploy', 'cluster.json'), 'utf8')) as {
    origin: { url: string; storeDir: string }
    ocas: Array<{ url: string; storeDir: string }>
  }
  cluster.origin = { url: 'http://192.0.2.1:8100', storeDir: join(dir, 'origin') }
  cluster.ocas[0]!.url = 'http://192.0.2.1:8101'
  for (const o of cluster.ocas) o.storeDir = join(dir, o.storeDir)
  const file = join(dir, 'cluster.json')
  await writeFile(file, JSON.stringify(cluster))
  for (const [args, who] of [
    [['origin', '--config', file], 'origin'],
    [['oca', '--config', file, '--id', 'oslo-1'], 'OCA oslo-1'],
    [['steering', '--config', file, '--listen', '192.0.2.1:8090'], 'steering'],
  ] as const) {
    const r = await oclab([...args])
    t.equal(r.code, 1, `${who}: exit 1`)
    t.match(
      r.err,
      new RegExp(`^oclab ${args[0]}: OCLAB_ERR_EXAMPLE_SECRET: ${who} will not listen on 192\\.0\\.2\\.1 \\(not loopback\\)`),
      `${who}: refused with the code`,
    )
  }
})

t.test('a new demo cluster file gets a fresh random admin token', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oclab-demo-cluster-'))
  const a = await writeDemoCluster(join(dir, 'a'))
  const b = await writeDemoCluster(join(dir, 'b'))
  t.not(a.cluster.adminToken, b.cluster.adminToken, 'two files, two tokens')
  t.ok(a.cluster.adminToken.length >= 43, '32 random bytes')
  t.notOk(EXAMPLE_SECRETS.has(a.cluster.adminToken))
  t.equal((await readCluster(a.file, {})).adminToken, a.cluster.adminToken, 'what is written is what servers read')
})
