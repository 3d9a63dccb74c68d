/**
 * Authentication and authorisation of the Management API over real HTTP
 * (curl): the API key, tokens minted by a second library (jsonwebtoken, as
 * the IIS driver's docs page mints them) and by our own CLI, the refusals
 * of bad tokens, and the contract's order 401, 404, 403.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import jwt from 'jsonwebtoken'
import { ALLOC_ID, curl, run, startHarness } from './management-harness.js'
import type { Harness } from './management-harness.js'

const API_KEY = '12345'
const SECRET = 'a-long-enough-secret-for-hs256-tokens'
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/** Claims as the IIS driver's docs page puts them in a token. */
function docsPageToken(
  claims: Record<string, unknown> = {},
  options: jwt.SignOptions = {},
): string {
  return jwt.sign(
    {
      namespace: '*',
      jobName: '*',
      allocId: '*',
      capabilities: [
        'Status',
        'FilesystemAccess',
        'AppPoolLifecycle',
        'Screenshots',
        'ProcDump',
        'Debug',
      ],
      ...claims,
    },
    SECRET,
    {
      algorithm: 'HS256',
      issuer: 'NomadIIS',
      audience: 'ManagementApi',
      expiresIn: '1h',
      ...options,
    },
  )
}

function bearer(token: string): string[] {
  return ['-H', `Authorization: Bearer ${token}`]
}

describe('the Management API with both a key and a JWT secret', () => {
  let h: Harness
  before(async () => {
    h = await startHarness({ apiKey: API_KEY, jwtSecret: SECRET })
  })
  after(() => h.close())

  test('a request without credentials gets 401 with WWW-Authenticate and a problem body', async () => {
    const result = await run('curl', ['-s', '-i', `${h.taskUrl}/status`])

    assert.match(result.stdout, /^HTTP\/1\.1 401/)
    assert.match(result.stdout, /www-authenticate: Bearer realm="ManagementApi"/i)
    assert.match(result.stdout, /content-type: application\/problem\+json/i)
    assert.match(result.stdout, /"code":"ERR_MANAGEMENT_UNAUTHORIZED"/)
  })

  test('the right X-Api-Key is accepted and a wrong one refused', async () => {
    const good = await curl(['-H', `X-Api-Key: ${API_KEY}`, `${h.taskUrl}/status`])
    const bad = await curl(['-H', 'X-Api-Key: 1234', `${h.taskUrl}/status`])

    assert.equal(good.status, 200)
    assert.equal(JSON.parse(good.body).allocId, ALLOC_ID)
    assert.equal(bad.status, 401)
    assert.match(JSON.parse(bad.body).detail, /API key is wrong/)
  })

  test('a token minted as the docs page does is accepted as it is', async () => {
    const result = await curl([...bearer(docsPageToken()), `${h.taskUrl}/status`])

    assert.equal(result.status, 200)
    assert.equal(JSON.parse(result.body).applicationPool.name, 'default')
  })

  test('a token minted by the token command is accepted', async () => {
    const minted = await run(process.execPath, [
      CLI,
      'token',
      '--secret',
      SECRET,
      '--alloc',
      ALLOC_ID,
      '--capability',
      'Status',
      '--expires',
      '1h',
    ])
    assert.equal(minted.code, 0, minted.stderr)

    const result = await curl([...bearer(minted.stdout.trim()), `${h.taskUrl}/status`])

    assert.equal(result.status, 200)
  })

  const refused: Array<{ title: string; token: () => string; detail: RegExp }> = [
    {
      title: 'an expired token',
      token: () =>
        jwt.sign({ capabilities: '*', exp: Math.floor(Date.now() / 1000) - 3600 }, SECRET, {
          issuer: 'NomadIIS',
          audience: 'ManagementApi',
        }),
      detail: /expired/,
    },
    {
      title: 'a wrong issuer',
      token: () => docsPageToken({}, { issuer: 'Someone' }),
      detail: /iss/,
    },
    {
      title: 'a wrong audience',
      token: () => docsPageToken({}, { audience: 'OtherApi' }),
      detail: /aud/,
    },
    {
      title: 'a wrong signature',
      token: () =>
        jwt.sign({ capabilities: ['Status'] }, 'another-secret', {
          algorithm: 'HS256',
          issuer: 'NomadIIS',
          audience: 'ManagementApi',
          expiresIn: '1h',
        }),
      detail: /signature/,
    },
    { title: 'alg none', token: () => unsignedToken(), detail: /HS256|malformed/ },
    { title: 'an RS256 token', token: () => rsaToken(), detail: /HS256/ },
    { title: 'a crit header', token: () => critToken(), detail: /crit|unsupported/ },
    {
      title: 'a token without exp',
      token: () =>
        jwt.sign({ capabilities: '*' }, SECRET, { issuer: 'NomadIIS', audience: 'ManagementApi' }),
      detail: /exp/,
    },
  ]
  for (const { title, token, detail } of refused) {
    test(`${title} is refused with 401`, async () => {
      const result = await curl([...bearer(token()), `${h.taskUrl}/status`])

      assert.equal(result.status, 401)
      assert.match(JSON.parse(result.body).detail, detail)
    })
  }

  test('a token for another alloc gets 403 and a token without the capability too', async () => {
    const otherAlloc = docsPageToken({ allocId: '00000000-0000-0000-0000-000000000000' })
    const noCapability = docsPageToken({ capabilities: ['Status'] })

    const alloc = await curl([...bearer(otherAlloc), `${h.taskUrl}/status`])
    const capability = await curl([...bearer(noCapability), `${h.taskUrl}/fs/local`])

    assert.equal(alloc.status, 403)
    assert.match(JSON.parse(alloc.body).detail, /allocId/)
    assert.equal(capability.status, 403)
    assert.match(JSON.parse(capability.body).detail, /FilesystemAccess/)
  })

  test('claims given as lists or as a single string both work, and a missing claim grants nothing', async () => {
    const listed = docsPageToken({
      namespace: ['ops', 'default'],
      jobName: 'static-sample-app',
      capabilities: 'Status',
    })
    const noNamespace = jwt.sign({ jobName: '*', allocId: '*', capabilities: ['Status'] }, SECRET, {
      algorithm: 'HS256',
      issuer: 'NomadIIS',
      audience: 'ManagementApi',
      expiresIn: '1h',
    })

    assert.equal((await curl([...bearer(listed), `${h.taskUrl}/status`])).status, 200)
    assert.equal((await curl([...bearer(noNamespace), `${h.taskUrl}/status`])).status, 403)
  })

  test('an unknown alloc is 404 before the token is checked against it, but after 401', async () => {
    const url = `${h.base}/api/v1/allocs/00000000-0000-0000-0000-000000000000/app/status`
    const narrow = docsPageToken({ allocId: ALLOC_ID })

    const anonymous = await curl([url])
    const known = await curl([...bearer(narrow), url])

    assert.equal(anonymous.status, 401)
    assert.equal(known.status, 404)
    assert.equal(JSON.parse(known.body).code, 'ERR_MANAGEMENT_TASK_NOT_FOUND')
  })

  test('the debug endpoint checks only the Debug capability', async () => {
    const withDebug = docsPageToken({ allocId: 'some-other-alloc', capabilities: ['Debug'] })
    const withoutDebug = docsPageToken({ capabilities: ['Status'] })

    const allowed = await curl([...bearer(withDebug), `${h.base}/api/v1/debug`])
    const refusedDebug = await curl([...bearer(withoutDebug), `${h.base}/api/v1/debug`])

    assert.equal(allowed.status, 200)
    assert.equal(JSON.parse(allowed.body).iisHandleCount, 1)
    assert.equal(refusedDebug.status, 403)
  })
})

describe('errors from the framework itself', () => {
  let h: Harness
  let bigJson: string
  before(async () => {
    h = await startHarness({ apiKey: API_KEY })
    bigJson = join(h.tempDir, 'big.json')
    await writeFile(bigJson, `"${'x'.repeat(1100 * 1024)}"`)
  })
  after(() => h.close())

  const cases: Array<{ title: string; args: () => string[]; status: number }> = [
    { title: 'an unknown route', args: () => [`${h.base}/api/v1/nothing`], status: 404 },
    {
      title: 'malformed JSON',
      args: () => [
        '-X',
        'PUT',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        '{"a":',
        `${h.taskUrl}/start`,
      ],
      status: 400,
    },
    {
      title: 'a JSON body over 1 MiB',
      args: () => [
        '-X',
        'PUT',
        '-H',
        'Content-Type: application/json',
        '--data-binary',
        `@${bigJson}`,
        `${h.taskUrl}/start`,
      ],
      status: 413,
    },
    {
      title: 'a malformed percent-encoding',
      args: () => [`${h.taskUrl}/fs/local/%E0%A4%A`],
      status: 400,
    },
    {
      title: 'a bad clean query',
      args: () => ['-X', 'PATCH', '--data-binary', 'x', `${h.taskUrl}/fs/local/a.txt?clean=maybe`],
      status: 400,
    },
  ]
  for (const { title, args, status } of cases) {
    test(`${title} gets ${status} as problem+json`, async () => {
      const result = await run('curl', [
        '-s',
        '-i',
        '-H',
        'Expect:',
        '-H',
        `X-Api-Key: ${API_KEY}`,
        ...args(),
      ])

      assert.match(result.stdout, new RegExp(`^HTTP/1.1 ${status}`))
      assert.match(result.stdout, /content-type: application\/problem\+json/i)
      assert.doesNotMatch(result.stdout, /at .*\.js:\d+/)
    })
  }
})

describe('the Management API with neither key nor secret', () => {
  test('it is open to every caller and listens on 127.0.0.1 only', async (t) => {
    const h = await startHarness({ address: null })
    t.after(() => h.close())

    const result = await curl([`${h.taskUrl}/status`])

    assert.equal(result.status, 200)
    assert.equal(h.api.address, '127.0.0.1')
  })
})

function unsignedToken(): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    iss: 'NomadIIS',
    aud: 'ManagementApi',
    exp: now + 3600,
    capabilities: '*',
    allocId: '*',
    namespace: '*',
    jobName: '*',
  }
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`
}

function rsaToken(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return jwt.sign({ capabilities: '*', allocId: '*', namespace: '*', jobName: '*' }, privateKey, {
    algorithm: 'RS256',
    issuer: 'NomadIIS',
    audience: 'ManagementApi',
    expiresIn: '1h',
  })
}

function critToken(): string {
  return jwt.sign({ capabilities: '*', allocId: '*', namespace: '*', jobName: '*' }, SECRET, {
    algorithm: 'HS256',
    issuer: 'NomadIIS',
    audience: 'ManagementApi',
    expiresIn: '1h',
    header: { alg: 'HS256', crit: ['nomad'], nomad: 1 } as unknown as jwt.JwtHeader,
  })
}
