/**
 * The placeholder app: a page of our own saying the application is not
 * deployed yet, copied into an application folder that is empty when the
 * task starts (as the IIS driver does with its placeholder_app_path).
 *
 * @module
 */
import { cp, mkdir, readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** The folder holding our own placeholder page (shipped next to this module). */
export const BUNDLED_PLACEHOLDER_DIR = fileURLToPath(new URL('./placeholder/', import.meta.url))

/**
 * Makes sure an application folder exists and is not empty: a missing or
 * empty folder gets the placeholder app's files.
 *
 * @returns true when the placeholder was copied in
 */
export async function ensureApplicationFolder(
  folder: string,
  placeholderDir: string,
): Promise<boolean> {
  await mkdir(folder, { recursive: true })
  const entries = await readdir(folder)
  if (entries.length > 0) return false
  await cp(placeholderDir, folder, { recursive: true, errorOnExist: false, force: false })
  return true
}
