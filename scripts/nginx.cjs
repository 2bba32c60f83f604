// Real nginx for the release tests and benchmark: Debian's nginx started on 127.0.0.1 with a
// throwaway prefix, nginx.conf and include folder (the folder Gantry writes its file into), and
// the small model servers it fronts (test/helpers/model-server.cjs), each its own process writing
// its inference log. `as` runs nginx as another OS user (the SSH test host's login). CommonJS so
// that vitest and the .mjs benchmark load the one copy (types: nginx.d.cts).
'use strict'
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const { join } = require('node:path')
const { freePort } = require('./sshd.cjs')

const NGINX = '/usr/sbin/nginx'
const MODEL_SERVER = join(__dirname, '..', 'test', 'helpers', 'model-server.cjs')

/** Why nginx tests cannot run here, or null. */
function nginxUnavailable() {
  if (!fs.existsSync(NGINX)) return `${NGINX} is missing (apt-get install nginx)`
  return null
}

/**
 * nginx with its own prefix `dir`: nginx.conf includes `dir/conf.d/*.conf` inside http {}.
 * Returns the commands Gantry is given (`-p dir -c conf`), and stop().
 */
function startNginx(dir, o = {}) {
  const confd = join(dir, 'conf.d')
  fs.mkdirSync(join(dir, 'logs'), { recursive: true })
  fs.mkdirSync(confd, { recursive: true })
  const conf = join(dir, 'nginx.conf')
  fs.writeFileSync(
    conf,
    [
      ...(o.as ? [] : process.getuid?.() === 0 ? ['user root;'] : []),
      `worker_processes ${o.workers ?? 1};`,
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'logs', 'error.log')} warn;`,
      'events { worker_connections 4096; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      ...(o.include === false ? [] : [`  include ${confd}/*.conf;`]),
      '}',
      '',
    ].join('\n'),
  )
  if (o.as) spawnSync('chown', ['-R', `${o.as}:`, dir])
  const base = [NGINX, '-p', dir, '-c', conf]
  const run = (args) => {
    const argv = o.as ? ['runuser', '-u', o.as, '--', ...base, ...args] : [...base, ...args]
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`)
  }
  run([])
  return {
    dir,
    confd,
    conf,
    reloadCommand: [...base, '-s', 'reload'],
    testCommand: [...base, '-t'],
    pid() {
      try {
        return Number(fs.readFileSync(join(dir, 'nginx.pid'), 'utf8').trim())
      } catch {
        return null
      }
    },
    stop() {
      try {
        run(['-s', 'stop'])
      } catch {
        // not running
      }
    },
  }
}

/** A model server process on a free port; control() changes its behaviour at run time. */
async function startModelServer(name, logFile, o = {}) {
  const port = o.port ?? (await freePort())
  const argv = [process.execPath, MODEL_SERVER, String(port), name, logFile]
  const child = o.as
    ? spawn('runuser', ['-u', o.as, '--', ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`model server ${name} did not start`)), 10_000)
    child.stdout.on('data', (d) => {
      if (String(d).includes('listening')) {
        clearTimeout(t)
        resolve()
      }
    })
    child.once('exit', (c) => {
      clearTimeout(t)
      reject(new Error(`model server ${name} exited ${c}`))
    })
  })
  const url = `http://127.0.0.1:${port}`
  return {
    name,
    port,
    url,
    logFile,
    child,
    async control(mode) {
      const r = await fetch(`${url}/_control`, { method: 'POST', body: JSON.stringify(mode) })
      return r.json()
    },
    stop() {
      child.kill('SIGKILL')
    },
  }
}

module.exports = { NGINX, nginxUnavailable, startNginx, startModelServer }
