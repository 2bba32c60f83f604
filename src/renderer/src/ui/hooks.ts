// Small hooks shared by screens.
import { useEffect, useState } from 'react'

/** The current time, refreshed every `everyMs` (0: not refreshed): for "updated 3 s ago" labels. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (everyMs <= 0) return
    const id = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(id)
  }, [everyMs])
  return now
}
