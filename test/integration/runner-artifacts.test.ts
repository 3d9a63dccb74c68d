/**
 * Artifacts as go-getter fetches local ones for a Nomad client: a zip made
 * by the zip tool, a tar.gz made by tar and a plain directory, each served
 * by its own application of one site.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { makeWorkDir, startRunner } from './runner-harness.js'

const JOB = `job "artifacts" {
  group "web" {
    network {
      port "http" {}
    }
    task "site" {
      driver = "iis"
      artifact {
        source      = "from-zip.zip"
        destination = "local/zip"
      }
      artifact {
        source      = "from-tar.tar.gz"
        destination = "local/tar"
      }
      artifact {
        source      = "plain"
        destination = "\${NOMAD_TASK_DIR}/../local/dir"
      }
      env {
        GREETING = "hello from \${NOMAD_TASK_NAME}"
      }
      config {
        application {
          path = "local/zip"
        }
        application {
          alias = "/tar"
          path  = "local/tar"
        }
        application {
          alias = "/dir"
          path  = "local/dir"
        }
        binding {
          type = "http"
          port = "http"
        }
      }
    }
  }
}
`

async function page(dir: string, text: string) {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'index.html'), `<p>${text}</p>`)
}

test('a zip by zip, a tar.gz by tar and a plain directory are each served', async (t) => {
  const workDir = await makeWorkDir(t)
  const jobDir = join(workDir, 'job')
  await page(join(jobDir, 'src-zip'), 'zip artifact')
  await page(join(jobDir, 'src-tar'), 'tar artifact')
  await page(join(jobDir, 'plain'), 'directory artifact')
  execFileSync('zip', ['-qr', join(jobDir, 'from-zip.zip'), '.'], { cwd: join(jobDir, 'src-zip') })
  execFileSync('tar', ['-czf', join(jobDir, 'from-tar.tar.gz'), '-C', join(jobDir, 'src-tar'), '.'])
  await writeFile(join(jobDir, 'job.hcl'), JOB)
  const runner = startRunner(t, join(jobDir, 'job.hcl'), join(workDir, 'work'), [
    '--keep-alloc-dirs',
  ])

  const [line] = await runner.serving(1)
  const base = line.urls[0]
  const bodies = await Promise.all(
    ['', 'tar/', 'dir/'].map(async (p) => (await fetch(base + p)).text()),
  )

  assert.deepEqual(bodies, [
    '<p>zip artifact</p>',
    '<p>tar artifact</p>',
    '<p>directory artifact</p>',
  ])
  const zipCopy = await readFile(join(line.allocDir, 'site', 'local', 'zip', 'index.html'), 'utf8')
  assert.equal(zipCopy, '<p>zip artifact</p>')
})
