// One lifecycle for every service of the core: each is `{ name, start, stop }`, registered in
// order in one place (createGantry), started in that order and stopped in reverse, each stop
// bounded so one stuck service cannot hold the others (VS Code's DisposableStore, Fastify's
// onClose hooks). Start is idempotent; a service that throws on start is logged, not fatal.

export interface Service {
  readonly name: string
  start(): void | Promise<void>
  stop(): void | Promise<void>
}

export interface Lifecycle {
  add<S extends Service>(service: S): S
  start(): Promise<void>
  /** Stops every service in reverse order; each waits at most `boundMs`. */
  stop(boundMs: number): Promise<void>
  readonly started: boolean
}

export function createLifecycle(log: (line: string) => void): Lifecycle {
  const services: Service[] = []
  let started = false
  let stopped = false
  return {
    add(service) {
      services.push(service)
      return service
    },
    async start() {
      if (started || stopped) return
      started = true
      for (const s of services) {
        try {
          await s.start()
        } catch (err) {
          log(`gantry: ${s.name} did not start: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
    },
    async stop(boundMs) {
      if (stopped) return
      stopped = true
      for (const s of [...services].reverse()) {
        let bound: ReturnType<typeof setTimeout> | undefined
        try {
          await Promise.race([
            Promise.resolve().then(() => s.stop()),
            new Promise<void>((r) => (bound = setTimeout(r, boundMs))),
          ])
        } catch (err) {
          log(`gantry: stopping ${s.name} failed: ${err instanceof Error ? err.message : String(err)}`)
        } finally {
          clearTimeout(bound) // a pending timer would keep a CLI process alive
        }
      }
    },
    get started() {
      return started
    },
  }
}
