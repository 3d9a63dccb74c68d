/**
 * The API's limits, with defaults from the contract. Each can be set through
 * startManagementApi's `limits` option; the driver config's
 * `management_api` block, when the driver decodes one, feeds the same names.
 *
 * @module
 */

export interface ManagementLimits {
  /** Largest upload body accepted (413 above). Default 4 GiB. */
  maxBodyBytes: number
  /** Most entries a ZIP may hold (422 above). Default 100,000. */
  maxZipEntries: number
  /** Most bytes a ZIP may expand to in all (422 above). Default 16 GiB. */
  maxUncompressedBytes: number
  /**
   * Highest expansion ratio (uncompressed / compressed) of a whole archive,
   * checked once the archive expands past 64 MiB (422 above). Default 1000.
   */
  maxCompressionRatio: number
  /** Entries extracted at once; inflation runs on libuv's pool. Default 4. */
  extractConcurrency: number
  /** Deflate level of folder downloads (0 stores). Default 6, as `zip`. */
  downloadCompressionLevel: number
  /** How long a screenshot may take, waiting for a slot included. Default 30 s. */
  screenshotTimeoutMs: number
  /** Screenshots taken at once. Default 2. */
  screenshotConcurrency: number
  /** How long procdump may take. Default 120 s. */
  procdumpTimeoutMs: number
}

const GIB = 1024 ** 3

export const DEFAULT_LIMITS: ManagementLimits = Object.freeze({
  maxBodyBytes: 4 * GIB,
  maxZipEntries: 100_000,
  maxUncompressedBytes: 16 * GIB,
  maxCompressionRatio: 1000,
  extractConcurrency: 4,
  downloadCompressionLevel: 6,
  screenshotTimeoutMs: 30_000,
  screenshotConcurrency: 2,
  procdumpTimeoutMs: 120_000,
})

/** Archives expanding to less than this are not held to the ratio limit. */
export const RATIO_CHECK_FLOOR_BYTES = 64 * 1024 * 1024

/**
 * Merges overrides over the defaults.
 *
 * @throws TypeError when a limit is not a positive finite number
 */
export function resolveLimits(
  ...overrides: Array<Partial<ManagementLimits> | undefined>
): ManagementLimits {
  const limits: ManagementLimits = { ...DEFAULT_LIMITS }
  for (const override of overrides) {
    for (const [key, value] of Object.entries(override ?? {})) {
      if (!(key in DEFAULT_LIMITS) || value === undefined || value === null) continue
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new TypeError(
          `management limit '${key}' must be a finite number >= 0, got ${String(value)}`,
        )
      }
      limits[key as keyof ManagementLimits] = value
    }
  }
  return limits
}
