/**
 * The warm browser behind screenshots, run inside the screenshot worker
 * process: Debian's Chromium driven by playwright-core (no browser is ever
 * downloaded), launched once and kept, with warm pages reused between
 * shots because opening a page costs more than the shot itself. Between
 * shots a page's cookies are cleared and it goes back to about:blank; after
 * MAX_PAGE_USES its context is replaced.
 *
 * The browser goes nowhere but the site: every request of the context
 * (navigations, redirects, subresources, frames, new windows) whose origin
 * differs from the photographed URL's origin is aborted, and service
 * workers, which routing would not see, are blocked. So a site answering
 * `302 Location: http://127.0.0.1:<api port>/...` gets no other loopback
 * service photographed; a main page led elsewhere fails the shot.
 *
 * @module
 */
import { chromium } from 'playwright-core'
import type { APIResponse, Browser, BrowserContext, Page, Route } from 'playwright-core'

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
export type ShotFailureKind = 'launch' | 'timeout' | 'unreachable' | 'blocked'

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
  /** The only origin the page may reach during the current shot; null between shots. */
  allowedOrigin: string | null
  /** URLs of the current shot's main-frame navigations that were aborted. */
  blockedNavigations: string[]
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
    warm.allowedOrigin = new URL(url).origin
    warm.blockedNavigations = []
    try {
      await warm.page.goto(url, { timeout: timeoutMs, waitUntil: 'load' })
      const png = await warm.page.screenshot({ fullPage: true, type: 'png', timeout: timeoutMs })
      await this.#putBack(warm)
      return png
    } catch (err) {
      await warm.context.close().catch(() => undefined)
      const blocked = warm.blockedNavigations[0]
      if (blocked !== undefined) {
        throw new ShotError(
          'blocked',
          `the page led to ${new URL(blocked).origin}, another origin than the site's, which screenshots do not follow`,
          err,
        )
      }
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
      warm.allowedOrigin = null
      await warm.page.goto('about:blank')
      this.#idlePages.push(warm)
    } catch {
      await warm.context.close().catch(() => undefined)
    }
  }
}

async function openPage(browser: Browser): Promise<WarmPage> {
  const context = await browser.newContext({ viewport: VIEWPORT, serviceWorkers: 'block' })
  try {
    const warm: WarmPage = {
      browser,
      context,
      page: await context.newPage(),
      uses: 0,
      allowedOrigin: null,
      blockedNavigations: [],
    }
    await context.route('**/*', (route, request) => {
      const isMainNavigation =
        request.isNavigationRequest() && request.frame() === warm.page.mainFrame()
      if (originOf(request.url()) === warm.allowedOrigin) {
        return passOn(route, warm, isMainNavigation)
      }
      if (isMainNavigation) warm.blockedNavigations.push(request.url())
      return route.abort('blockedbyclient')
    })
    return warm
  } catch (err) {
    await context.close().catch(() => undefined)
    throw new ShotError('launch', 'the browser could not open a page', err)
  }
}

/** Redirects followed for one request, as browsers allow about 20. */
const MAX_REDIRECTS = 20

/**
 * Fetches a same-origin request and hands the answer to the browser,
 * following redirects here, one hop at a time, each checked against the
 * allowed origin: redirects the browser followed by itself would not pass
 * the route again. A hop to another origin aborts the request. The page
 * keeps the URL it asked for.
 */
async function passOn(route: Route, warm: WarmPage, isMainNavigation: boolean): Promise<void> {
  let url = route.request().url()
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const response: APIResponse = await route.fetch({ url, maxRedirects: 0 })
      const location = response.headers()['location']
      if (response.status() < 300 || response.status() > 399 || location === undefined) {
        await route.fulfill({ response })
        return
      }
      url = new URL(location, url).toString()
      if (originOf(url) !== warm.allowedOrigin) {
        if (isMainNavigation) warm.blockedNavigations.push(url)
        await route.abort('blockedbyclient')
        return
      }
    }
    await route.abort('failed')
  } catch {
    await route.abort('connectionfailed').catch(() => undefined)
  }
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin
  } catch {
    return null
  }
}
