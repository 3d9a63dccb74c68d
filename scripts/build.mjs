// Transpiles every TypeScript file to dist/ one to one (no bundling), so that
// each module keeps its own path and the internal entry points (site host,
// workers) can be spawned by file. Type checking is `npm run typecheck`.
import { readdir, mkdir, copyFile } from 'node:fs/promises'
import { join, dirname, relative } from 'node:path'
import { build } from 'esbuild'

const ROOTS = ['src', 'test', 'bench']
const root = new URL('..', import.meta.url).pathname

const entryPoints = []
const assets = []
for (const dir of ROOTS) await collect(join(root, dir))

await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outbase: root,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
})
for (const file of assets) {
  const target = join(root, 'dist', relative(root, file))
  await mkdir(dirname(target), { recursive: true })
  await copyFile(file, target)
}

async function collect(dir) {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await collect(path)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) entryPoints.push(path)
    else if (/\.(proto|html|htm|json|css|png|svg)$/.test(entry.name)) assets.push(path)
  }
}
