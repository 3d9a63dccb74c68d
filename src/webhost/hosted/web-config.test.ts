import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { isHostedError } from './errors.js'
import { parseWebConfig, readWebConfig } from './web-config.js'
import { splitArguments } from './windows-paths.js'

const PUBLISHED_ASPNETCORE = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <location path="." inheritInChildApplications="false">
    <system.webServer>
      <handlers>
        <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />
      </handlers>
      <aspNetCore processPath="dotnet" arguments=".\\MyApp.dll --urls &quot;x y&quot;" hostingModel="inprocess">
        <environmentVariables>
          <environmentVariable name="ASPNETCORE_ENVIRONMENT" value="Staging" />
          <environmentVariable name="GREETING" value="hello %HTTP_PLATFORM_PORT%" />
        </environmentVariables>
      </aspNetCore>
    </system.webServer>
  </location>
</configuration>`

/** A web.config whose system.webServer section is `inner`. */
function webServer(inner: string): string {
  return `<configuration><system.webServer>${inner}</system.webServer></configuration>`
}

async function tempApp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'web-config-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('a published aspNetCore web.config becomes a dotnet command with linux paths', () => {
  const found = parseWebConfig(PUBLISHED_ASPNETCORE, '/srv/app')

  assert.ok(found)
  assert.equal(found.module, 'aspNetCore')
  assert.equal(found.program.command, 'dotnet')
  assert.deepEqual(found.program.args, ['./MyApp.dll', '--urls', 'x y'])
  assert.equal(found.program.portEnv, 'ASPNETCORE_PORT')
  assert.equal(found.program.workingDirectory, '/srv/app')
  assert.deepEqual(found.program.env, {
    ASPNETCORE_ENVIRONMENT: 'Staging',
    GREETING: 'hello %HTTP_PLATFORM_PORT%',
  })
})

test('hostingModel inprocess is accepted with a warning that it runs out of process', () => {
  const found = parseWebConfig(PUBLISHED_ASPNETCORE, '/srv/app')

  assert.equal(found?.warnings.length, 1)
  assert.match(found?.warnings[0] ?? '', /inprocess is run out of process/)
})

test('an httpPlatform section keeps %HTTP_PLATFORM_PORT% for the start to fill in', () => {
  const xml = `<configuration><system.webServer>
    <handlers><add name="httpplatformhandler" path="*" verb="*" modules="httpPlatformHandler" /></handlers>
    <httpPlatform processPath="%APPROOT%\\bin\\server.exe" arguments="--port %HTTP_PLATFORM_PORT%" />
  </system.webServer></configuration>`

  const found = parseWebConfig(xml, '/srv/app', { env: { APPROOT: '.' } })

  assert.equal(found?.module, 'httpPlatform')
  assert.equal(found?.program.command, './bin/server.exe')
  assert.deepEqual(found?.program.args, ['--port', '%HTTP_PLATFORM_PORT%'])
  assert.equal(found?.program.portEnv, 'HTTP_PLATFORM_PORT')
})

test('an iisnode handler runs its script with node and tells it PORT', () => {
  const xml = `<configuration><system.webServer>
    <handlers><add name="iisnode" path="server.js" verb="*" modules="iisnode" /></handlers>
    <iisnode nodeProcessCommandLine="C:\\node\\node.exe" />
  </system.webServer></configuration>`

  const found = parseWebConfig(xml, '/srv/app', { nodePath: '/usr/bin/node' })

  assert.equal(found?.module, 'iisnode')
  assert.equal(found?.program.command, '/usr/bin/node')
  assert.deepEqual(found?.program.args, ['/srv/app/server.js'])
  assert.equal(found?.program.portEnv, 'PORT')
  assert.match(found?.warnings[0] ?? '', /nodeProcessCommandLine is ignored/)
})

test('a web.config that names no program leaves the application static', () => {
  const xml = `<configuration><system.webServer>
    <defaultDocument><files><add value="home.html" /></files></defaultDocument>
    <handlers><add name="StaticFile" path="*" verb="*" modules="StaticFileModule,DefaultDocumentModule" /></handlers>
  </system.webServer></configuration>`

  assert.equal(parseWebConfig(xml, '/srv/app'), null)
})

test('an empty web.config root, self-closing or not, leaves the application static', () => {
  for (const xml of [
    '<configuration/>',
    '<configuration></configuration>',
    '<?xml version="1.0"?>\n<configuration />',
  ]) {
    assert.equal(parseWebConfig(xml, '/srv/app'), null, xml)
  }
})

test('bad web.config files are refused with the code and a message saying what to change', () => {
  const cases = [
    {
      xml: '<configuration><system.webServer>',
      code: 'ERR_HOSTED_WEB_CONFIG_NOT_XML',
      text: /line/,
    },
    { xml: 'just text', code: 'ERR_HOSTED_WEB_CONFIG_NOT_XML', text: /xml|configuration/ },
    { xml: '<settings/>', code: 'ERR_HOSTED_WEB_CONFIG_NOT_XML', text: /<configuration>/ },
    {
      xml: webServer('<aspNetCore arguments="a.dll"/>'),
      code: 'ERR_HOSTED_WEB_CONFIG_INCOMPLETE',
      text: /no processPath/,
    },
    {
      xml: webServer(
        '<handlers><add name="aspNetCore" path="*" modules="AspNetCoreModuleV2"/></handlers>',
      ),
      code: 'ERR_HOSTED_WEB_CONFIG_INCOMPLETE',
      text: /<aspNetCore> section/,
    },
    {
      xml: webServer(
        '<handlers><add name="PHP" path="*.php" modules="FastCgiModule" ' +
          'scriptProcessor="C:\\php\\php-cgi.exe"/></handlers>',
      ),
      code: 'ERR_HOSTED_HANDLER_UNSUPPORTED',
      text: /"PHP" \(module FastCgiModule\) is not supported/,
    },
    {
      xml: webServer('<aspNetCore processPath="%LAUNCHER_PATH%" arguments="%LAUNCHER_ARGS%"/>'),
      code: 'ERR_HOSTED_HANDLER_UNSUPPORTED',
      text: /dotnet publish/,
    },
    {
      xml: webServer('<handlers><add name="iisnode" path="*.js" modules="iisnode"/></handlers>'),
      code: 'ERR_HOSTED_WEB_CONFIG_INCOMPLETE',
      text: /name the script/,
    },
  ]
  for (const { xml, code, text } of cases) {
    assert.throws(
      () => parseWebConfig(xml, '/srv/app'),
      (err: unknown) => isHostedError(err) && err.code === code && text.test(err.message),
      xml,
    )
  }
})

test('a .\\name.exe processPath runs the file without .exe from the application folder', async (t) => {
  const dir = await tempApp(t)
  await writeFile(join(dir, 'MyApp'), '#!/bin/sh\n')
  await chmod(join(dir, 'MyApp'), 0o755)
  const xml = webServer(`<aspNetCore processPath=".\\MyApp.exe" />`)
  await writeFile(join(dir, 'web.config'), xml)

  const found = await readWebConfig(dir)

  assert.equal(found?.program.command, join(dir, 'MyApp'))
})

test('a program found neither in the folder nor on PATH is refused as missing', async (t) => {
  const dir = await tempApp(t)
  const bare = webServer(`<aspNetCore processPath="dotnet" arguments=".\\a.dll" />`)
  await writeFile(join(dir, 'web.config'), bare)

  await assert.rejects(readWebConfig(dir, { env: { PATH: dir } }), (err: unknown) => {
    return isHostedError(err, 'ERR_HOSTED_PROGRAM_MISSING') && /"dotnet".*on PATH/.test(err.message)
  })
})

test('an iisnode script that does not exist is refused as missing', async (t) => {
  const dir = await tempApp(t)
  const xml = webServer(
    `<handlers><add name="iisnode" path="app.js" modules="iisnode"/></handlers>`,
  )
  await writeFile(join(dir, 'web.config'), xml)

  await assert.rejects(readWebConfig(dir), (err: unknown) =>
    isHostedError(err, 'ERR_HOSTED_PROGRAM_MISSING'),
  )
})

test('an application folder without web.config has no program', async (t) => {
  const dir = await tempApp(t)

  assert.equal(await readWebConfig(dir), null)
})

test('arguments are split as a windows command line', () => {
  assert.deepEqual(splitArguments('  a "b c"  d\\"e ""  '), ['a', 'b c', 'd"e', ''])
})
