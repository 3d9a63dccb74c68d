// Real programs behind the three IIS modules, served through a hosted pool:
// an Express app behind iisnode, json-server behind httpPlatform, and an
// ASP.NET Core web.config whose program is a stand-in (dotnet cannot be
// installed here, so the stand-in plays Kestrel behind ANCM).
import assert from 'node:assert/strict'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  FIXTURES_DIR,
  REPO_ROOT,
  expressApp,
  httpPlatformWebConfig,
  makeApp,
  startSite,
} from '../fixtures/hosted/harness.js'
import { readWebConfig } from '../../src/webhost/hosted/web-config.js'

test('an express app behind iisnode is served with forwarding headers and the task env', async (t) => {
  const app = await expressApp(t)
  const site = await startSite(t, [{ alias: '/', physicalPath: app }])

  const res = await fetch(`${site.url}/hello?x=1`, { headers: { 'x-forwarded-for': '10.1.2.3' } })
  const body = await res.json()

  assert.equal(res.status, 200)
  assert.equal(body.url, '/hello?x=1')
  assert.equal(body.forwardedFor, '10.1.2.3, 127.0.0.1')
  assert.equal(body.forwardedProto, 'http')
  assert.equal(body.forwardedHost, new URL(site.url).host)
  assert.equal(body.host, new URL(site.url).host)
  assert.equal(body.taskVariable, 'web')
})

test('an application below the root keeps its path base when proxied', async (t) => {
  const app = await expressApp(t)
  const site = await startSite(t, [{ alias: '/shop', physicalPath: app }])

  const body = await (await fetch(`${site.url}/shop/cart`)).json()

  assert.equal(body.url, '/shop/cart')
})

test('json-server behind httpPlatform gets its port from %HTTP_PLATFORM_PORT%', async (t) => {
  const bin = join(REPO_ROOT, 'node_modules', 'json-server', 'lib', 'cli', 'bin.js')
  const app = await makeApp(t, {
    'db.json': { copy: join(FIXTURES_DIR, 'db.json') },
    'web.config': httpPlatformWebConfig(
      process.execPath,
      `${bin} db.json --port %HTTP_PLATFORM_PORT% --host 127.0.0.1 --quiet`,
    ),
  })
  const site = await startSite(t, [{ alias: '/', physicalPath: app }])

  const posts = await (await fetch(`${site.url}/posts`)).json()
  const created = await fetch(`${site.url}/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'through the proxy' }),
  })
  const post = await (await fetch(`${site.url}/posts/3`)).json()

  assert.equal(posts.length, 2)
  assert.equal(created.status, 201)
  assert.equal(post.title, 'through the proxy')
})

test('an aspNetCore web.config runs its program out of process with token and path base', async (t) => {
  const standIn = join(FIXTURES_DIR, 'dotnet-standin')
  const app = await makeApp(t, {
    MyApp: { copy: join(standIn, 'MyApp') },
    'web.config': { copy: join(standIn, 'web.config') },
  })
  await chmod(join(app, 'MyApp'), 0o755)
  const found = await readWebConfig(app)
  const site = await startSite(t, [{ alias: '/api', physicalPath: app }])

  const res = await fetch(`${site.url}/api/values`)
  const body = await res.json()

  assert.match(found?.warnings.join() ?? '', /inprocess is run out of process/)
  assert.equal(res.status, 200)
  assert.equal(body.standIn, 'aspnetcore')
  assert.equal(body.url, '/api/values')
  assert.equal(body.pathBase, '/api')
  assert.equal(body.environment, 'Staging')
  assert.deepEqual(body.args, ['--role', 'web'])
})

test('dotnet app.dll runs the dotnet found on PATH with the dll from the app folder', async (t) => {
  const app = await makeApp(t, {
    'MyApp.dll': { copy: join(FIXTURES_DIR, 'dotnet-standin', 'MyApp') },
    'web.config': `<configuration><system.webServer>
      <aspNetCore processPath="dotnet.exe" arguments=".\\MyApp.dll" hostingModel="outofprocess" />
    </system.webServer></configuration>`,
  })
  // A stand-in for the dotnet host: runs the "dll" (a node script) with node.
  await mkdir(join(app, 'bin'))
  await writeFile(join(app, 'bin', 'dotnet'), `#!/bin/sh\nexec "${process.execPath}" "$@"\n`)
  await chmod(join(app, 'bin', 'dotnet'), 0o755)
  const found = await readWebConfig(app, { env: { PATH: join(app, 'bin') } })
  assert.equal(found?.program.command, join(app, 'bin', 'dotnet'))

  const site = await startSite(t, [{ alias: '/', physicalPath: app, program: found?.program }])
  const body = await (await fetch(`${site.url}/`)).json()

  assert.equal(body.standIn, 'aspnetcore')
  assert.equal(body.pathBase, '/')
})
