// The screen of a browser tab the console does not let in: it has no access token, or a wrong one.
// Says how to get the link, and takes a pasted token or link (kept in this tab's session storage only).
import { useEffect, useState, type FormEvent } from 'react'

export function Locked() {
  const [token, setToken] = useState('')
  // The link opened in this tab changes only the fragment (no reload): start over with it.
  useEffect(() => {
    const onHash = (): void => {
      if (/(?:^|[#&])token=/.test(window.location.hash)) window.location.reload()
    }
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  const submit = (e: FormEvent): void => {
    e.preventDefault()
    const t = token.trim().replace(/^.*#token=/, '')
    if (!t) return
    sessionStorage.setItem('gantry-token', t)
    window.location.reload()
  }
  return (
    <main className="locked" data-screen="locked" data-state="ready">
      <h1>This console needs its access token</h1>
      <p>
        Gantry lets in only those who hold the token of its data directory, also on this machine: any local account can
        reach 127.0.0.1.
      </p>
      <ul>
        <li>
          Open the link <code>gantry serve</code> (or <code>npm start</code>) printed when it started:{' '}
          <code>http://127.0.0.1:PORT/#token=…</code>
        </li>
        <li>
          Or run <code>gantry url</code> on the machine running the console, as the user who owns its data directory.
        </li>
      </ul>
      <form onSubmit={submit}>
        <label>
          Token or link{' '}
          <input
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-label="access token or link"
          />
        </label>{' '}
        <button type="submit">Open</button>
      </form>
    </main>
  )
}
