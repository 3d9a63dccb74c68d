import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { AppOfflineWatcher } from './app-offline-watcher.js'

/**
 * Resolves with the first `offline` event carrying `text`: a file being
 * written may be seen empty first, then again with its content.
 */
function offlineWith(watcher: AppOfflineWatcher, text: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const onOffline = (content: Buffer): void => {
      if (content.toString() !== text) return
      watcher.off('offline', onOffline)
      resolve(content)
    }
    watcher.on('offline', onOffline)
  })
}

async function tempApp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'app-offline-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('a file present at start takes the application offline with its content', async (t) => {
  const dir = await tempApp(t)
  await writeFile(join(dir, 'app_offline.htm'), '<h1>back soon</h1>')
  const watcher = new AppOfflineWatcher(dir)
  t.after(() => watcher.close())

  await watcher.start()

  assert.equal(watcher.content?.toString(), '<h1>back soon</h1>')
})

test('the file appearing and going away is seen as offline then online', async (t) => {
  const dir = await tempApp(t)
  const watcher = new AppOfflineWatcher(dir)
  t.after(() => watcher.close())
  await watcher.start()

  const offline = offlineWith(watcher, 'upgrading')
  await writeFile(join(dir, 'App_Offline.htm'), 'upgrading')
  const content = await offline
  const online = once(watcher, 'online')
  await rm(join(dir, 'App_Offline.htm'))
  await online

  assert.equal(content.toString(), 'upgrading')
  assert.equal(watcher.isOffline, false)
})

test('a folder without the file stays online', async (t) => {
  const dir = await tempApp(t)
  await writeFile(join(dir, 'index.html'), 'hi')
  const watcher = new AppOfflineWatcher(dir)
  t.after(() => watcher.close())

  await watcher.start()

  assert.equal(watcher.isOffline, false)
})

test('a watcher started again after close sees the file again', async (t) => {
  const dir = await tempApp(t)
  const watcher = new AppOfflineWatcher(dir)
  t.after(() => watcher.close())
  await watcher.start()
  await watcher.close()

  await watcher.start()
  const offline = offlineWith(watcher, 'again')
  await writeFile(join(dir, 'app_offline.htm'), 'again')
  await offline

  assert.equal(watcher.content?.toString(), 'again')
})
