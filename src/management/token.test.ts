import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Authenticator } from './auth.js'
import { checkGrant } from './grant.js'
import { mintToken, parseExpiry } from './token.js'

const TARGET = { namespace: 'default', jobName: 'web', allocId: 'a1' }

test('a minted token verifies and grants exactly what it names', async () => {
  const token = await mintToken({
    secret: 's',
    allocIds: ['a1'],
    capabilities: ['Status'],
    expiresInS: 60,
  })
  const auth = new Authenticator({ jwtSecret: 's' })

  const grant = await auth.authenticate({ authorization: `Bearer ${token}` })

  assert.doesNotThrow(() => checkGrant(grant, TARGET, 'Status'))
  assert.throws(() => checkGrant(grant, TARGET, 'ProcDump'), /ProcDump/)
  assert.throws(() => checkGrant(grant, { ...TARGET, allocId: 'a2' }, 'Status'), /allocId/)
})

test('a token expired beyond the 60 s skew is refused, within it accepted', async () => {
  const nowS = Math.floor(Date.now() / 1000)
  const auth = new Authenticator({ jwtSecret: 's' })
  const within = await mintToken({ secret: 's', expiresInS: 10, nowS: nowS - 50 })
  const beyond = await mintToken({ secret: 's', expiresInS: 10, nowS: nowS - 90 })

  await auth.authenticate({ authorization: `Bearer ${within}` })
  await assert.rejects(auth.authenticate({ authorization: `Bearer ${beyond}` }), /expired/)
})

const expiries: Array<[string, number]> = [
  ['30d', 2_592_000],
  ['12h', 43_200],
  ['90m', 5400],
  ['45s', 45],
  ['3600', 3600],
  ['2w', 1_209_600],
]
for (const [text, seconds] of expiries) {
  test(`the expiry '${text}' is ${seconds} seconds`, () => {
    assert.equal(parseExpiry(text), seconds)
  })
}

for (const text of ['', '0', '1y', '-5m', '1.5h']) {
  test(`the expiry '${text}' is refused`, () => {
    assert.throws(() => parseExpiry(text), /not a duration/)
  })
}

test('an unknown capability is refused when minting', async () => {
  await assert.rejects(
    mintToken({ secret: 's', capabilities: ['Everything'], expiresInS: 60 }),
    /Everything/,
  )
})

test('the API key is compared whole: a prefix or a longer key is refused', async () => {
  const auth = new Authenticator({ apiKey: '12345' })

  await auth.authenticate({ 'x-api-key': '12345' })
  await assert.rejects(auth.authenticate({ 'x-api-key': '1234' }), /wrong/)
  await assert.rejects(auth.authenticate({ 'x-api-key': '123456' }), /wrong/)
})
