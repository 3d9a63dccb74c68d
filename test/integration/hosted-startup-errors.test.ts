// A hosted program that cannot start is reported: its pool stays stopped
// with the reason in the status and in the task events (replayed to a
// subscriber that comes after the start), and the other pools serve.
import assert from 'node:assert/strict'
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { isProcessAlive } from '../../src/webhost/index.js'
import type { SiteEvent } from '../../src/webhost/index.js'
import { app, makeSite, pool, startSite, waitFor, writeFiles } from './webhost-fixture.js'
import type { ApplicationDefinition } from '../../src/webhost/index.js'

/** An application whose program the job names (the `program` block), not a web.config. */
function programApp(alias: string, dir: string, poolKey: string, command: string) {
  const application: ApplicationDefinition = app(alias, dir, poolKey)
  application.program = {
    command,
    args: ['server.js'],
    portEnv: 'PORT',
    env: {},
    workingDirectory: dir,
  }
  return application
}

const FASTCGI_WEB_CONFIG =
  '<configuration><system.webServer><handlers>' +
  '<add name="PHP" path="*.php" verb="*" modules="FastCgiModule" scriptProcessor="C:\\php\\php-cgi.exe"/>' +
  '</handlers></system.webServer></configuration>'

const cases: { title: string; bad: (dir: string) => ApplicationDefinition; reason: RegExp }[] = [
  {
    title: 'a program command not found on PATH',
    bad: (dir) => programApp('/bad', dir, 'bad', 'no-such-program-for-this-test'),
    reason: /program command "no-such-program-for-this-test" was not found on PATH/,
  },
  {
    title: 'a relative program command that does not exist',
    bad: (dir) => programApp('/bad', dir, 'bad', join(dir, 'bin', 'missing-app')),
    reason: /program command .*missing-app does not exist or is not an executable file/,
  },
  {
    title: 'a program command that is not executable',
    bad: (dir) => {
      writeFiles(dir, { 'run.sh': '#!/bin/sh\n' })
      chmodSync(join(dir, 'run.sh'), 0o644)
      return programApp('/bad', dir, 'bad', join(dir, 'run.sh'))
    },
    reason: /run\.sh does not exist or is not an executable file/,
  },
  {
    title: 'a web.config that is not XML',
    bad: (dir) => {
      writeFiles(dir, { 'web.config': '<configuration><system.webServer>' })
      return app('/bad', dir, 'bad')
    },
    reason: /web.config is not well-formed xml/,
  },
  {
    title: 'a web.config with a FastCGI handler',
    bad: (dir) => {
      writeFiles(dir, { 'web.config': FASTCGI_WEB_CONFIG })
      return app('/bad', dir, 'bad')
    },
    reason: /FastCgiModule\) is not supported/,
  },
]

for (const { title, bad, reason } of cases) {
  test(`${title} stops its pool with the reason, reported to a later subscriber`, async (t) => {
    const fixture = await makeSite(t, (dir) => {
      writeFiles(join(dir, 'static'), { 'index.html': '<h1>static home</h1>' })
      return {
        applications: [app('/', join(dir, 'static'), 'web'), bad(join(dir, 'bad'))],
        pools: [pool('web'), pool('bad', { startMode: 'AlwaysRunning' })],
      }
    })
    const site = await startSite(t, fixture)
    const events: SiteEvent[] = []
    site.client.subscribe((e) => events.push(e))

    await waitFor(() => events.some((e) => e.pool === 'bad'), 'an event of the bad pool')
    const good = await fetch(fixture.url('/'))
    const refused = await fetch(fixture.url('/bad/'))
    const badPool = (await site.client.status()).pools.find((p) => p.key === 'bad')
    const stopped = events.find((e) => e.pool === 'bad' && e.event === 'poolStopped')

    assert.equal(good.status, 200)
    assert.equal(refused.status, 503)
    assert.equal(badPool?.state, 'Stopped')
    assert.match(badPool?.lastError ?? '', reason)
    assert.match(stopped?.message ?? '', reason)
    assert.equal(stopped?.replayed, true)
    assert.equal(isProcessAlive(site.host.pid), true)
  })
}
