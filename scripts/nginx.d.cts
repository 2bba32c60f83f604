// Types of nginx.cjs (real nginx and model servers for the release tests and benchmark).
export const NGINX: string
export function nginxUnavailable(): string | null
export interface Nginx {
  dir: string
  /** The folder nginx.conf includes (`include conf.d/*.conf;` inside http {}). */
  confd: string
  conf: string
  reloadCommand: string[]
  testCommand: string[]
  pid(): number | null
  stop(): void
}
export function startNginx(dir: string, o?: { as?: string; workers?: number; include?: boolean }): Nginx
export interface ModelServer {
  name: string
  port: number
  url: string
  logFile: string
  child: import('node:child_process').ChildProcess
  control(mode: { errorRate?: number; delayMs?: number; disagree?: boolean; hang?: boolean }): Promise<unknown>
  stop(): void
}
export function startModelServer(
  name: string,
  logFile: string,
  o?: { port?: number; as?: string },
): Promise<ModelServer>
