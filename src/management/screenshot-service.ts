/**
 * Screenshots with Playwright driving the system's Chromium (no browser is
 * ever downloaded). One browser is launched on first use and kept warm;
 * each shot gets a fresh context with a 1920x1080 viewport and a full-page
 * capture. A concurrency limit queues shots; a shot waits at most the
 * timeout, slot included, then fails with 503.
 *
 * @module
 */
import { access, constants } from 'node:fs/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { BusyError, DependencyMissingError } from './errors.js'
import { Semaphore } from './semaphore.js'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const VIEWPORT = { width: 1920, height: 1080 }

/** A page is reused this many times, then its context is replaced. */
const MAX_PAGE_USES = 25

/** A page kept open between shots: opening one costs more than the shot itself. */
interface WarmPage {
  browser: Browser
  context: BrowserContext
  page: Page
  uses: number
}

export interface ScreenshotOptions {
  /** Read at each launch, so a new driver config takes effect. */
  chromiumPath: () => string
  timeoutMs: number
  concurrency: number
  log: FastifyBaseLogger
}

export class ScreenshotService {
  #options: ScreenshotOptions
  #slots: Semaphore
  #browser: Promise<Browser> | null = null
  #idlePages: WarmPage[] = []
  #isClosed = false

  constructor(options: ScreenshotOptions) {
    this.#options = options
    this.#slots = new Semaphore(Math.max(1, options.concurrency))
  }

  /**
   * Photographs `url`, whatever the site answers.
   *
   * @throws BusyError when no slot frees up in time; DependencyMissingError when Chromium will not start
   */
  async capture(url: string): Promise<Buffer> {
    const startedAt = Date.now()
    const release = await this.#slots.acquire(this.#options.timeoutMs)
    if (release === null) {
      throw new BusyError('too many screenshots at once: try again in a few seconds')
    }
    let warm: WarmPage | null = null
    try {
      const browser = await this.#getBrowser()
      warm = this.#idlePages.pop() ?? (await openPage(browser))
      const remainingMs = Math.max(1000, this.#options.timeoutMs - (Date.now() - startedAt))
      await warm.page.goto(url, { timeout: remainingMs, waitUntil: 'load' })
      return await warm.page.screenshot({ fullPage: true, type: 'png', timeout: remainingMs })
    } catch (err) {
      if (warm !== null) void warm.context.close().catch(() => undefined)
      warm = null
      throw err
    } finally {
      // The slot is held until the page is clean again; the caller has its PNG already.
      void this.#putBack(warm).finally(release)
    }
  }

  /** Closes the warm browser; later captures fail. Idempotent. */
  async close(): Promise<void> {
    this.#isClosed = true
    this.#idlePages = []
    const browser = this.#browser
    this.#browser = null
    if (browser !== null) await browser.then((b) => b.close()).catch(() => undefined)
  }

  #getBrowser(): Promise<Browser> {
    if (this.#isClosed)
      return Promise.reject(new DependencyMissingError('the screenshot service is closed'))
    if (this.#browser === null) {
      const launching = this.#launch()
      this.#browser = launching
      launching.then(
        (browser) => browser.on('disconnected', () => this.#forget(launching)),
        () => this.#forget(launching),
      )
    }
    return this.#browser
  }

  #forget(launching: Promise<Browser>): void {
    if (this.#browser === launching) this.#browser = null
    void launching.then(
      (browser) => {
        this.#idlePages = this.#idlePages.filter((warm) => warm.browser !== browser)
      },
      () => undefined,
    )
  }

  async #putBack(warm: WarmPage | null): Promise<void> {
    if (warm === null) return
    warm.uses++
    try {
      if (this.#isClosed || warm.uses >= MAX_PAGE_USES || !warm.browser.isConnected()) {
        throw new Error('page retired')
      }
      await warm.context.clearCookies()
      await warm.page.goto('about:blank')
      this.#idlePages.push(warm)
    } catch {
      await warm.context.close().catch(() => undefined)
    }
  }

  async #launch(): Promise<Browser> {
    const { log } = this.#options
    const chromiumPath = this.#options.chromiumPath()
    try {
      await access(chromiumPath, constants.X_OK)
    } catch (err) {
      throw new DependencyMissingError(
        `Chromium is not installed at '${chromiumPath}': install the chromium package or set chromium_path`,
        err,
      )
    }
    try {
      const { chromium } = await import('playwright-core')
      const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS })
      log.info({ chromiumPath }, 'screenshot browser started')
      return browser
    } catch (err) {
      throw new DependencyMissingError(
        `Chromium at '${chromiumPath}' did not start: see the plugin log`,
        err,
      )
    }
  }
}

async function openPage(browser: Browser): Promise<WarmPage> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  try {
    return { browser, context, page: await context.newPage(), uses: 0 }
  } catch (err) {
    await context.close().catch(() => undefined)
    throw err
  }
}
