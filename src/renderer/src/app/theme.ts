// Resolves the theme choice (system / dark / light) and applies it to <html data-theme>.
import { useEffect, useState } from 'react'
import { useStore } from '../store'

const query = (): MediaQueryList => window.matchMedia('(prefers-color-scheme: light)')

export function useResolvedTheme(): 'dark' | 'light' {
  const choice = useStore((s) => s.theme)
  const [systemLight, setSystemLight] = useState(() => query().matches)
  useEffect(() => {
    const q = query()
    const on = (): void => setSystemLight(q.matches)
    q.addEventListener('change', on)
    return () => q.removeEventListener('change', on)
  }, [])
  const resolved = choice === 'system' ? (systemLight ? 'light' : 'dark') : choice
  useEffect(() => {
    document.documentElement.dataset.theme = resolved
  }, [resolved])
  return resolved
}
