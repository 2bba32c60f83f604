// Frames and main-thread long tasks of a page as it is, for a while: requestAnimationFrame
// intervals and the Long Tasks API, measured in the browser (the Chromium benchmarks share it).
/* global requestAnimationFrame -- used inside page.evaluate, in the browser */

/** { frames, p50, p99, max, longTasks, longTaskMs, worstTask } over `ms` milliseconds. */
export function framesFor(page, ms) {
  return page.evaluate(async (ms) => {
    const frames = []
    let longTaskMs = 0
    let longTasks = 0
    let worstTask = 0
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        longTaskMs += e.duration
        longTasks++
        worstTask = Math.max(worstTask, e.duration)
      }
    })
    obs.observe({ type: 'longtask', buffered: false })
    let last = performance.now()
    const end = last + ms
    await new Promise((resolve) => {
      const tick = (t) => {
        frames.push(t - last)
        last = t
        if (t < end) requestAnimationFrame(tick)
        else resolve()
      }
      requestAnimationFrame(tick)
    })
    obs.disconnect()
    frames.sort((a, b) => a - b)
    const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))]
    return {
      frames: frames.length,
      p50: q(0.5),
      p99: q(0.99),
      max: frames[frames.length - 1],
      longTasks,
      longTaskMs,
      worstTask,
    }
  }, ms)
}
