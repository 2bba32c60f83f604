// The keyboard layer: Ctrl/Cmd+K opens the palette (cmdk) to jump to any screen, host, GPU,
// endpoint, model or version, or run a common action; `/` focuses the screen's filter; `?` lists
// the shortcuts; Alt+0…9 jump between areas (App.tsx). Keys typed into a field stay the field's.
import { Command } from 'cmdk'
import { useEffect, useRef, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ModelSummary } from '../../../shared/registry'
import { useBridge } from '../bridge/context'
import { useStore } from '../store'
import { hostHref } from './slice'

export interface NavItem {
  route: string
  label: string
  key: string
}

const typing = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))

export function Keyboard({ nav }: { nav: NavItem[] }) {
  const [palette, setPalette] = useState(false)
  const [help, setHelp] = useState(false)
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'k') {
        e.preventDefault()
        setHelp(false)
        setPalette((p) => !p)
        return
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return
      if (e.key === '/') {
        const filter = document.querySelector<HTMLInputElement>('main [data-screen-filter]')
        if (filter) {
          e.preventDefault()
          filter.focus()
          filter.select()
        }
      } else if (e.key === '?') {
        e.preventDefault()
        setHelp((h) => !h)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
  return (
    <>
      {palette ? <Palette nav={nav} close={() => setPalette(false)} /> : null}
      {help ? <Shortcuts nav={nav} close={() => setHelp(false)} /> : null}
    </>
  )
}

/** A modal layer that closes on Escape or a click outside, and gives focus back where it was. */
function Layer({ label, close, children }: { label: string; close(): void; children: React.ReactNode }) {
  const closeRef = useRef(close)
  useEffect(() => {
    closeRef.current = close
  }, [close])
  useEffect(() => {
    const before = document.activeElement
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault()
        closeRef.current()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => {
      window.removeEventListener('keydown', onKey)
      if (before instanceof HTMLElement) before.focus()
    }
  }, [])
  return (
    <div className="layer" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="layer-box" role="dialog" aria-modal="true" aria-label={label}>
        {children}
      </div>
    </div>
  )
}

function Palette({ nav, close }: { nav: NavItem[]; close(): void }) {
  const { bridge } = useBridge()
  const { hosts, hostName, gpu, endpoints, setTheme, theme } = useStore(
    useShallow((s) => ({
      hosts: s.hosts,
      hostName: s.hostName,
      gpu: s.gpu,
      endpoints: s.endpoints,
      setTheme: s.setTheme,
      theme: s.theme,
    })),
  )
  const [models, setModels] = useState<ModelSummary[] | null>(null)
  useEffect(() => {
    let alive = true
    void bridge.call('registry.listModels', {}).then((r) => {
      if (alive) setModels(r.ok ? r.data : [])
    })
    return () => {
      alive = false
    }
  }, [bridge])
  const go = (hash: string): void => {
    close()
    window.location.hash = hash
  }
  // Every version up to the latest, while that stays a list cmdk filters at once.
  const versions =
    models && models.reduce((n, m) => n + (m.latest ?? 0), 0) <= 3000
      ? models.flatMap((m) => Array.from({ length: m.latest ?? 0 }, (_, i) => ({ m, v: i + 1 })))
      : (models ?? []).flatMap((m) => (m.latest ? [{ m, v: m.latest }] : []))
  return (
    <Layer label="Command palette" close={close}>
      <Command label="Command palette" loop data-testid="palette">
        <Command.Input autoFocus placeholder="Jump to a screen, host, GPU, endpoint, model or version; or an action…" />
        <Command.List>
          <Command.Empty>Nothing matches.</Command.Empty>
          <Command.Group heading="Screens">
            {nav.map((n) => (
              <Command.Item key={n.route} value={`screen ${n.label}`} onSelect={() => go(`#/${n.route}`)}>
                {n.label}
                <kbd>Alt+{n.key}</kbd>
              </Command.Item>
            ))}
          </Command.Group>
          <Command.Group heading="Actions">
            <Command.Item value="action probe an endpoint serving" onSelect={() => go('#/serving')}>
              Probe or add an endpoint
            </Command.Item>
            <Command.Item value="action register a model version" onSelect={() => go('#/models')}>
              Register a model version
            </Command.Item>
            <Command.Item value="action watch a drift folder compare data" onSelect={() => go('#/drift')}>
              Compare data for drift
            </Command.Item>
            <Command.Item value="action add a host ssh" onSelect={() => go('#/hosts')}>
              Add a host over SSH
            </Command.Item>
            <Command.Item value="action alert rules silence" onSelect={() => go('#/alerts')}>
              Alert rules and silences
            </Command.Item>
            <Command.Item
              value="action switch theme dark light"
              onSelect={() => {
                setTheme(theme === 'light' ? 'dark' : 'light')
                close()
              }}
            >
              Switch to the {theme === 'light' ? 'dark' : 'light'} theme
            </Command.Item>
          </Command.Group>
          {hosts.length > 1 ? (
            <Command.Group heading="Hosts">
              {hosts.map((h) => (
                <Command.Item
                  key={h.name}
                  value={`host ${h.name} ${h.hostname ?? ''}`}
                  onSelect={() => go(`#/overview?host=${encodeURIComponent(h.name)}`)}
                >
                  {h.name === 'local' ? 'this machine' : h.name}
                  <span className="muted small"> {h.health.level}</span>
                </Command.Item>
              ))}
            </Command.Group>
          ) : null}
          {gpu?.gpus.length ? (
            <Command.Group heading={`GPUs on ${hostName === 'local' ? 'this machine' : hostName}`}>
              {gpu.gpus.map((g) => (
                <Command.Item
                  key={g.uuid}
                  value={`gpu ${g.index} ${g.name} ${g.uuid} ${g.busId ?? ''}`}
                  onSelect={() => go(hostHref(hostName, 'gpus', g.uuid))}
                >
                  GPU {g.index}{' '}
                  <span className="muted small">
                    {g.name} · {g.uuid}
                  </span>
                </Command.Item>
              ))}
            </Command.Group>
          ) : null}
          {endpoints.length ? (
            <Command.Group heading="Endpoints">
              {endpoints.map(({ endpoint: e }) => (
                <Command.Item key={e.id} value={`endpoint ${e.name} ${e.url}`} onSelect={() => go(`#/serving/${e.id}`)}>
                  {e.name} <span className="muted small mono">{e.url}</span>
                </Command.Item>
              ))}
            </Command.Group>
          ) : null}
          {models === null ? (
            <Command.Loading>Reading the registry…</Command.Loading>
          ) : models.length ? (
            <>
              <Command.Group heading="Models">
                {models.map((m) => (
                  <Command.Item
                    key={m.name}
                    value={`model ${m.name} ${m.ownerTeam ?? ''}`}
                    onSelect={() => go(`#/models/${encodeURIComponent(m.name)}`)}
                  >
                    {m.name}
                    <span className="muted small"> {m.ownerTeam ?? 'no owner'}</span>
                  </Command.Item>
                ))}
              </Command.Group>
              <Command.Group heading="Versions">
                {versions.map(({ m, v }) => (
                  <Command.Item
                    key={`${m.name}@${v}`}
                    value={`version ${m.name} v${v}`}
                    onSelect={() => go(`#/models/${encodeURIComponent(m.name)}/${v}`)}
                  >
                    {m.name} v{v}
                    {m.production === v ? <span className="muted small"> production</span> : null}
                  </Command.Item>
                ))}
              </Command.Group>
            </>
          ) : null}
        </Command.List>
      </Command>
    </Layer>
  )
}

function Shortcuts({ nav, close }: { nav: NavItem[]; close(): void }) {
  return (
    <Layer label="Keyboard shortcuts" close={close}>
      <div className="shortcuts" data-testid="shortcuts">
        <h2>Keyboard shortcuts</h2>
        <dl>
          <dt>
            <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>K</kbd>
          </dt>
          <dd>Command palette: jump to any screen, host, GPU, endpoint, model or version</dd>
          <dt>
            <kbd>/</kbd>
          </dt>
          <dd>Focus the screen&apos;s filter</dd>
          <dt>
            <kbd>j</kbd> <kbd>k</kbd> (or <kbd>↓</kbd> <kbd>↑</kbd>)
          </dt>
          <dd>
            Next / previous row of a table; <kbd>Enter</kbd> opens it
          </dd>
          <dt>
            <kbd>?</kbd>
          </dt>
          <dd>This list</dd>
          <dt>
            <kbd>Esc</kbd>
          </dt>
          <dd>Close a dialog, clear a filter</dd>
          {nav.map((n) => (
            <div key={n.route} className="shortcut-row">
              <dt>
                <kbd>Alt</kbd> + <kbd>{n.key}</kbd>
              </dt>
              <dd>{n.label}</dd>
            </div>
          ))}
        </dl>
        <button type="button" onClick={close}>
          Close
        </button>
      </div>
    </Layer>
  )
}
