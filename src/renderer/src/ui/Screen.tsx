// Every screen's frame: title, last-updated time, and the loading / error / empty states.
// data-state is what e2e tests wait on (never a sleep).
import type { ReactNode } from 'react'
import { ago } from './format'
import { useNow } from './hooks'
import { clock, stamp } from './format'
import { useShallow } from 'zustand/react/shallow'
import { useStore } from '../store'

export type ScreenState = 'loading' | 'ready' | 'error' | 'empty'

export function Screen(props: {
  id: string
  title: string
  state: ScreenState
  updatedAt?: number | null
  error?: string | null
  emptyText?: string
  actions?: ReactNode
  children?: ReactNode
}) {
  const now = useNow()
  const { connection, since } = useStore(useShallow((st) => ({ connection: st.connection, since: st.connectionSince })))
  return (
    <section className="screen" data-screen={props.id} data-state={props.state} aria-labelledby={`${props.id}-title`}>
      <header className="screen-head">
        <h1 id={`${props.id}-title`}>{props.title}</h1>
        <div className="screen-meta">
          {props.actions}
          {props.updatedAt !== undefined ? (
            <span className="updated" title={props.updatedAt ? stamp(props.updatedAt) : ''}>
              updated {ago(props.updatedAt, now)}
            </span>
          ) : null}
        </div>
      </header>
      {props.state === 'loading' ? (
        <p className="state-note" role="status">
          {connection === 'closed'
            ? `Not connected to the Gantry core since ${clock(since)}: this screen loads once it is back.`
            : 'Loading…'}
        </p>
      ) : props.state === 'error' ? (
        <p className="state-note error" role="alert">
          {props.error ?? 'Something went wrong.'}
        </p>
      ) : props.state === 'empty' ? (
        <p className="state-note">{props.emptyText ?? 'Nothing to show yet.'}</p>
      ) : (
        props.children
      )}
    </section>
  )
}
