import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Router } from './router.js'
import type { ApplicationDefinition, SiteDefinition } from './site-definition.js'

function app(alias: string, pool: string, vdirs: [string, string][] = []): ApplicationDefinition {
  return {
    alias,
    physicalPath: `/srv${alias === '/' ? '/root' : alias}`,
    pool,
    enablePreload: false,
    virtualDirectories: vdirs.map(([a, p]) => ({ alias: a, physicalPath: p })),
    program: null,
  }
}

const site = {
  applications: [
    app('/', 'default', [['/docs', '/srv/manuals']]),
    app('/shop', 'a', [
      ['/shop/media', '/srv/media'],
      ['/img', '/srv/img'],
    ]),
    app('/shop/admin', 'b'),
  ],
} as unknown as SiteDefinition

test('the longest application alias wins, without regard to case, on segment boundaries only', () => {
  const router = new Router(site)
  const cases: [string, string | null][] = [
    ['/', 'default'],
    ['/shop', 'a'],
    ['/SHOP/x', 'a'],
    ['/shopping', 'default'],
    ['/shop/admin/x', 'b'],
    ['/Shop/Admin', 'b'],
  ]
  for (const [path, pool] of cases) assert.equal(router.poolFor(path), pool, path)
})

test('virtual directories give the physical root, nested or relative to their application', () => {
  const router = new Router(site)
  const cases: [string, string, string][] = [
    ['/docs/guide.txt', '/srv/manuals', '/guide.txt'],
    ['/shop/Media/a.png', '/srv/media', '/a.png'],
    ['/shop/img/b.png', '/srv/img', '/b.png'],
    ['/shop/c.html', '/srv/shop', '/c.html'],
    ['/shop', '/srv/shop', ''],
    ['/index.html', '/srv/root', '/index.html'],
  ]
  for (const [path, root, rest] of cases) {
    const route = router.route(path)
    assert.deepEqual([route?.physicalRoot, route?.rest], [root, rest], path)
  }
})
