/**
 * The warm browser behind screenshots, run inside the screenshot worker
 * process: Debian's Chromium driven by playwright-core (no browser is ever
 * downloaded), launched once and kept, with warm pages reused between
 * shots because opening a page costs more than the shot itself. Between
 * shots a page's cookies are cleared and it goes back to about:blank; after
 * MAX_PAGE_USES its context is replaced.
 *
 * @module
 */
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'

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

/** Why a shot failed, as the parent process maps it to HTTP. */
export type ShotFailureKind = 'launch' | 'timeout' | 'unreachable'

export class ShotError extends Error {
  readonly kind: ShotFailureKind

  constructor(kind: ShotFailureKind, message: string, cause?: unknown) {
    super(message, { cause })
    this.name = new.target.name
    this.kind = kind
  }
}

interface WarmPage {
  browser: Browser
  context: BrowserContext
  page: Page
  uses: number
}

export class BrowserPool {
  #chromiumPath: string
  #browser: Promise<Browser> | null = null
  #idlePages: WarmPage[] = []
  #isClosed = false

  constructor(chromiumPath: string) {
    this.#chromiumPath = chromiumPath
  }

  /**
   * A full-page PNG of `url`, whatever the site answers.
   *
   * @throws ShotError
   */
  async capture(url: string, timeoutMs: number): Promise<Buffer> {
    const browser = await this.#getBrowser()
    const warm = this.#idlePages.pop() ?? (await openPage(browser))
    try {
      await warm.page.goto(url, { timeout: timeoutMs, waitUntil: 'load' })
      const png = await warm.page.screenshot({ fullPage: true, type: 'png', timeout: timeoutMs })
      await this.#putBack(warm)
      return png
    } catch (err) {
      await warm.context.close().catch(() => undefined)
      const isTimeout = (err as Error).name === 'TimeoutError'
      throw new ShotError(isTimeout ? 'timeout' : 'unreachable', (err as Error).message, err)
    }
  }

  /** Closes the browser. Idempotent. */
  async close(): Promise<void> {
    this.#isClosed = true
    this.#idlePages = []
    const browser = this.#browser
    this.#browser = null
    if (browser !== null) await browser.then((b) => b.close()).catch(() => undefined)
  }

  #getBrowser(): Promise<Browser> {
    if (this.#browser === null) {
      const launching = chromium
        .launch({ executablePath: this.#chromiumPath, args: CHROMIUM_ARGS })
        .catch((err: unknown) => {
          throw new ShotError('launch', `Chromium at '${this.#chromiumPath}' did not start`, err)
        })
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
    this.#idlePages = []
  }

  async #putBack(warm: WarmPage): Promise<void> {
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
}

async function openPage(browser: Browser): Promise<WarmPage> {
  const context = await browser.newContext({ viewport: VIEWPORT })
  try {
    return { browser, context, page: await context.newPage(), uses: 0 }
  } catch (err) {
    await context.close().catch(() => undefined)
    throw new ShotError('launch', 'the browser could not open a page', err)
  }
}
