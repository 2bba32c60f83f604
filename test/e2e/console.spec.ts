// The console in a real browser against `gantry serve`: live host health, storage with history,
// themes, keyboard navigation, and not one request beyond this machine.
import { expect, startServe, test } from './fixtures'

const AREAS = ['overview', 'gpus', 'storage', 'serving', 'models', 'drift', 'deployments', 'alerts', 'settings']

test('Overview shows this host live: health first, then usage, with the last-updated time', async ({
  page,
  gantry,
}) => {
  await page.goto(gantry.url)
  const screen = page.locator('[data-screen="overview"][data-state="ready"]')
  await expect(screen).toBeVisible()
  await expect(page.getByTestId('health')).toHaveAttribute('data-level', /ok|warning|critical|unknown/)
  // The Overview's navigation badge is the same verdict, in words for assistive technology.
  const level = await page.getByTestId('health').getAttribute('data-level')
  await expect(page.getByTestId('nav-badge-overview')).toHaveAttribute('data-level', level ?? '')
  await expect(page.getByTestId('nav-badge-overview')).toHaveAttribute('aria-label', /^Overview: /)
  await expect(page.getByTestId('card-cpu')).toContainText(/\d+\.\d %/)
  await expect(page.getByTestId('card-memory')).toContainText(/of \d/)
  await expect(page.getByTestId('connection')).toHaveText('connected')
  // Live: the sample time moves on without a reload.
  const updated = screen.locator('.updated')
  const first = await updated.getAttribute('title')
  await expect(updated).not.toHaveAttribute('title', first ?? '')
  await expect(page.locator('canvas').first()).toBeVisible()
})

test('Storage lists every filesystem with a forecast and charts the selected one over a chosen range', async ({
  page,
  gantry,
}) => {
  await page.goto(`${gantry.url}#/storage`)
  await expect(page.locator('[data-screen="storage"][data-state="ready"]')).toBeVisible()
  const root = page.locator('tr[data-mount="/"]')
  await expect(root).toBeVisible()
  await expect(root).toContainText(/GiB|TiB|MiB/)
  await expect(root).toContainText(/collecting history|stable|filling|shrinking/)
  await root.click()
  await expect(root).toHaveAttribute('aria-selected', 'true')
  const history = page.getByTestId('fs-history')
  await expect(history).toHaveAttribute('data-state', 'ready')
  await history.getByRole('button', { name: '1 h' }).click()
  await expect(history.getByRole('button', { name: '1 h' })).toHaveAttribute('aria-pressed', 'true')
  await expect(history).toHaveAttribute('data-state', 'ready')
  await expect(history).toContainText(/points · raw/)
  // Sorting by mount name is one click on the header.
  await page.getByRole('button', { name: /^Mount/ }).click()
  await expect(page.locator('th[aria-sort="ascending"]')).toContainText('Mount')
})

test('switches between dark and light themes and remembers the choice', async ({ page, gantry }) => {
  await page.goto(`${gantry.url}#/settings`)
  await expect(page.locator('[data-screen="settings"][data-state="ready"]')).toBeVisible()
  await page.locator('[data-theme-choice="light"]').click()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
  await page.reload()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
  await page.locator('[data-theme-choice="dark"]').click()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await expect(page.locator('[data-service="host"]')).toHaveAttribute('data-service-state', 'ok')
})

test('every area is reachable by keyboard', async ({ page, gantry }) => {
  await page.goto(gantry.url)
  await expect(page.locator('[data-screen="overview"][data-state="ready"]')).toBeVisible()
  await page.keyboard.press('Alt+3')
  await expect(page.locator('[data-screen="storage"]')).toBeVisible()
  await page.keyboard.press('Alt+5')
  await expect(page.locator('[data-screen="models"][data-state="ready"]')).toBeVisible()
  await page.keyboard.press('Alt+8')
  await expect(page.locator('[data-screen="alerts"][data-state="ready"]')).toBeVisible()
  await expect(page.locator('[data-tab="open"]')).toHaveAttribute('aria-selected', 'true')
  // Tab reaches the navigation links.
  await page.locator('a[data-nav="overview"]').focus()
  await page.keyboard.press('Tab')
  await expect(page.locator('a[data-nav="gpus"]')).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(/#\/gpus$/)
})

test('air-gapped: opening every screen makes no request beyond loopback', async ({ page, gantry }) => {
  const foreign: string[] = []
  const isLocal = (u: string) =>
    /^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u) || u.startsWith('data:')
  page.on('request', (r) => {
    if (!isLocal(r.url())) foreign.push(r.url())
  })
  page.on('websocket', (ws) => {
    if (!isLocal(ws.url())) foreign.push(ws.url())
  })
  await page.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort()))
  await page.goto(gantry.url)
  await expect(page.locator('[data-screen="overview"][data-state="ready"]')).toBeVisible()
  for (const area of AREAS) {
    await page.locator(`a[data-nav="${area}"]`).click()
    await expect(page.locator(`[data-screen="${area}"]`)).toBeVisible()
    await expect(page.locator(`[data-screen="${area}"]`)).not.toHaveAttribute('data-state', 'loading')
  }
  expect(foreign).toEqual([])
})

test('shows a lost connection and recovers when the server comes back', async ({ page, gantry }) => {
  await page.goto(gantry.url)
  await expect(page.locator('[data-screen="overview"][data-state="ready"]')).toBeVisible()
  await expect(page.getByTestId('connection')).toHaveText('connected')
  gantry.process.kill('SIGKILL')
  await new Promise((r) => gantry.process.once('exit', r))
  await expect(page.getByTestId('connection')).toHaveText(/disconnected/)
  await expect(page.getByRole('alert')).toContainText('Lost the connection')
  // Last values stay on screen, marked as such, rather than vanishing.
  await expect(page.getByTestId('card-cpu')).toContainText(/%/)
  const again = await startServe(gantry.dataDir, Number(new URL(gantry.url).port))
  try {
    await expect(page.getByTestId('connection')).toHaveText('connected')
    await expect(page.getByRole('alert')).toHaveCount(0)
  } finally {
    again.child.kill('SIGTERM')
    await new Promise((r) => again.child.once('exit', r))
  }
})

test('a tab without the access token sees only how to get it; a wrong token too; the printed link lets it in', async ({
  browser,
  gantry,
}) => {
  const page = await browser.newPage() // not the fixture's page: this one holds no token
  try {
    await page.goto(gantry.url)
    const locked = page.locator('[data-screen="locked"][data-state="ready"]')
    await expect(locked).toBeVisible()
    await expect(locked).toContainText('gantry url')
    await expect(page.locator('[data-screen="overview"]')).toHaveCount(0)
    // A wrong token is refused the same way (the bridge asks the server once, then stops).
    await page.getByLabel('access token or link').fill(`${gantry.url}#token=${'A'.repeat(43)}`)
    await page.getByRole('button', { name: 'Open' }).click()
    await expect(locked).toBeVisible()
    // The link as printed: in, and the token gone from the address bar.
    await page.goto(`${gantry.url}#token=${gantry.token}`)
    await expect(page.locator('[data-screen="overview"][data-state="ready"]')).toBeVisible()
    expect(page.url()).not.toContain(gantry.token)
  } finally {
    await page.close()
  }
})
