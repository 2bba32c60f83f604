// The Hosts screen in Chromium against a real sshd: an SSH host added through the UI with its key's
// fingerprint confirmed, its GPUs (the stand-in nvidia-smi on the remote PATH) shown once the host
// picker scopes the GPU screens to it, and its GPU page opened.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { createLogin, sshdUnavailable, startSshd, type Login, type Sshd } from '../helpers/sshd'
import { expect, GPU_FIXTURES, holdToken, startServe, test } from './fixtures'

const skip = sshdUnavailable()

test.describe('SSH hosts', () => {
  test.skip(skip !== null, skip ?? '')
  let login: Login
  let sshd: Sshd
  let serve: { url: string; token: string; child: ChildProcess }
  let dataDir: string

  test.beforeAll(async () => {
    login = createLogin()
    sshd = await startSshd({
      users: [login.user],
      env: {
        PATH: `${login.bin}:/usr/local/bin:/usr/bin:/bin`,
        STANDIN_XML: join(GPU_FIXTURES, 'datakit__gtx-8card-v100s.xml'),
      },
    })
    writeFileSync(join(login.keys, 'known_hosts'), '')
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-e2e-'))
    serve = await startServe(dataDir, 0, {
      GANTRY_KNOWN_HOSTS: join(login.keys, 'known_hosts'),
      GANTRY_SSH_KEY_DIRS: login.keys,
      GANTRY_SSH_CONFIG: join(login.keys, 'none'),
      GANTRY_GPU_INTERVAL_MS: '500',
      SSH_AUTH_SOCK: '',
    })
  })

  test.afterAll(async () => {
    serve?.child.kill('SIGTERM')
    if (serve) await new Promise((r) => serve.child.once('exit', r))
    await sshd?.stop()
    login?.remove()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('adds a host through the fingerprint prompt, shows its GPUs and opens its GPU page', async ({ page }) => {
    await holdToken(page, serve.token)
    await page.goto(`${serve.url}#/hosts`)
    await expect(page.locator('[data-screen="hosts"][data-state="ready"]')).toBeVisible()
    await expect(page.locator('[data-host="local"]')).toBeVisible()

    await page.getByTestId('add-host').click()
    const dialog = page.getByTestId('add-host-dialog')
    await dialog.getByTestId('host-target').fill(`${login.user}@127.0.0.1:${sshd.port}`)
    await dialog.getByTestId('host-identity').fill(login.key)
    await dialog.getByTestId('host-name').fill('gpu-a')
    await dialog.getByTestId('host-test').click()
    // The key is unknown: its fingerprint is shown, and adding waits for the operator's confirmation.
    await expect(dialog.getByTestId('host-fingerprint')).toHaveText(sshd.fingerprint)
    await expect(dialog.getByTestId('host-probe')).toContainText('does not know this host')
    await expect(dialog.getByTestId('host-add')).toBeDisabled()
    await page.screenshot({ path: 'test-results/hosts-fingerprint.png' })
    await dialog.getByTestId('host-confirm-key').check()
    await dialog.getByTestId('host-add').click()
    await expect(dialog).toBeHidden()

    const row = page.locator('[data-host="gpu-a"]')
    await expect(row).toContainText('connected')
    await expect(row.getByTestId('host-gpus')).toContainText('8')
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.screenshot({ path: 'test-results/hosts-1280.png' })

    // Keyboard: / filters, Enter opens the (only) match's Overview scoped to it.
    await page.keyboard.press('/')
    await page.keyboard.type('gpu-a')
    await expect(page.locator('[data-testid="hosts-table"] tbody tr')).toHaveCount(1)
    await page.keyboard.press('Enter')
    await expect(page.locator('[data-screen="overview"] h1')).toHaveText('Overview · gpu-a')
    await expect(page.getByTestId('host-picker')).toHaveValue('gpu-a')

    await row.page().goto(`${serve.url}#/gpus`)
    await expect(page.locator('[data-screen="gpus"][data-state="ready"]')).toBeVisible()
    await expect(page.locator('[data-screen="gpus"] h1')).toHaveText('GPUs · gpu-a')
    await expect(page.locator('[data-testid="gpu-tiles"] .tile')).toHaveCount(8)
    await page.locator('.tile').first().click()
    await expect(page.locator('[data-screen="gpu-detail"][data-state="ready"]')).toBeVisible()
    await expect(page.locator('[data-screen="gpu-detail"] h1')).toHaveText('GPU 0 · Tesla V100S-PCIE-32GB · gpu-a')
    await expect(page).toHaveURL(/#\/gpus\/GPU-[^?]+\?host=gpu-a$/)
    await expect(page.getByTestId('gpu-mig')).toHaveAttribute('data-state', 'ready')
    await page.screenshot({ path: 'test-results/hosts-gpu-page.png' })

    // Back to this machine with the picker: the GPUs screen stays, now this machine's (it has none).
    await page.getByTestId('host-picker').selectOption('local')
    await expect(page.locator('[data-screen="gpus"] h1')).toHaveText('GPUs')
    await expect(page.locator('[data-testid="gpu-tiles"] .tile')).toHaveCount(0)
    await expect(page).toHaveURL(/#\/gpus$/)
  })
})
