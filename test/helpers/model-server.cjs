#!/usr/bin/env node
// A small model server for the release tests and benchmark, run as its own process:
//   node model-server.cjs PORT NAME LOGFILE
// GET /health → 200; POST or GET /v1/predict?x=N → {"prediction": f(x)} and one JSONL line in
// LOGFILE ({"request_id", "prediction", "server"}, the id from X-Request-ID as nginx passes it);
// GET /v1/stream → server-sent events, one every 200 ms, five in all. Its behaviour changes at run
// time: POST /_control {"errorRate":0.5, "delayMs":200, "disagree":true, "hang":true}.
'use strict'
const { createServer } = require('node:http')
const { openSync, writeSync } = require('node:fs')

const [port, name, logFile] = process.argv.slice(2)
const log = logFile ? openSync(logFile, 'a') : null
let mode = { errorRate: 0, delayMs: 0, disagree: false, hang: false }
let served = 0

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x')
  let body = ''
  req.on('data', (d) => {
    if (body.length < 1 << 20) body += d
  })
  req.on('end', () => {
    if (url.pathname === '/_control') {
      mode = { ...mode, ...JSON.parse(body || '{}') }
      res.end(JSON.stringify({ mode, served }))
      return
    }
    if (url.pathname === '/health') {
      res.end('ok')
      return
    }
    served++
    if (mode.hang) return // never answers (its socket stays open)
    if (url.pathname === '/v1/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-served-by': name })
      res.flushHeaders()
      let i = 0
      const t = setInterval(() => {
        res.write(`data: ${JSON.stringify({ i, at: Date.now(), server: name })}\n\n`)
        if (++i === 5) {
          clearInterval(t)
          res.end()
        }
      }, 200)
      res.on('close', () => clearInterval(t))
      return
    }
    let x = Number(url.searchParams.get('x'))
    try {
      if (body) x = Number(JSON.parse(body).x)
    } catch {
      // not JSON: x from the query
    }
    if (!Number.isFinite(x)) x = 0
    const answer = () => {
      if (Math.random() < mode.errorRate) {
        res.writeHead(500, { 'x-served-by': name })
        res.end('{"error":"injected"}')
        return
      }
      const prediction = mode.disagree ? x * 2 + 1 + Math.random() * 5 : x * 2
      const id = req.headers['x-request-id']
      if (log && id) writeSync(log, `${JSON.stringify({ request_id: id, prediction, server: name })}\n`)
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name })
      res.end(JSON.stringify({ prediction, server: name }))
    }
    if (mode.delayMs > 0) setTimeout(answer, mode.delayMs)
    else answer()
  })
})
server.keepAliveTimeout = 65_000
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening ${port}\n`))
process.on('SIGTERM', () => process.exit(0))
