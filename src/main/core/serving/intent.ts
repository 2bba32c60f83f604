// Intent against truth: the registry says model M (its `production` alias, or another) should be
// served here; the endpoint's probe says what it really serves. Runtimes with version numbers
// (Triton, TorchServe, KServe/MLServer) are compared by number; runtimes without (vLLM, TGI,
// Ollama) by the weights' source against the version's artifact location. Where neither says
// anything, the answer is "unknown", never a guess.
import { realpathSync } from 'node:fs'
import type { IntentCheck, ProbeResult, ServingEndpoint } from '../../../shared/serving'

export interface Expected {
  version: number
  location: string
  sha256: string | null
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string): string => p.replace(/\/+$/, '')
  if (norm(a) === norm(b)) return true
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
}

export function checkIntent(
  binding: ServingEndpoint['bindings'][number],
  expected: Expected | null,
  probe: ProbeResult | null,
): IntentCheck {
  const base = {
    model: binding.model,
    servedName: binding.servedName,
    alias: binding.alias,
    expectedVersion: expected?.version ?? null,
  }
  if (!expected) {
    return {
      ...base,
      served: [],
      state: 'no-intent',
      detail: `the registry has no ${binding.alias} version of ${binding.model}`,
    }
  }
  if (!probe || probe.live !== true) {
    return { ...base, served: [], state: 'unknown', detail: 'the endpoint is not answering: nothing to compare' }
  }
  const m = probe.models.find((x) => x.name === binding.servedName)
  if (!m) {
    return {
      ...base,
      served: [],
      state: 'missing',
      detail: `${binding.servedName} is not served here (serving: ${probe.models.map((x) => x.name).join(', ') || 'nothing'})`,
    }
  }
  // Version numbers where the runtime has them; anything else it reports (vLLM's root, TGI's
  // model_id, an Ollama digest) identifies the weights instead.
  const numbered = m.versions.filter((v) => v.version !== null && /^\d+$/.test(v.version))
  if (numbered.length) {
    const served = numbered.map((v) => `v${v.version}${v.ready === false ? ` (${v.state})` : ''}`)
    const hit = numbered.find((v) => v.version === String(expected.version))
    if (hit && hit.ready !== false) {
      return { ...base, served, state: 'match', detail: `serves v${expected.version} as the registry intends` }
    }
    return {
      ...base,
      served,
      state: 'mismatch',
      detail: hit
        ? `v${expected.version} is loaded but not ready (${hit.state})`
        : `serves ${served.join(', ')} but the registry's ${binding.alias} is v${expected.version}`,
    }
  }
  const sources = [m.source, ...m.versions.map((v) => v.version)].filter((x): x is string => !!x)
  const source = sources.find((x) => x.startsWith('/') || x.startsWith('file://')) ?? sources[0] ?? null
  if (source && (source.startsWith('/') || source.startsWith('file://'))) {
    const path = source.replace(/^file:\/\//, '')
    if (samePath(path, expected.location)) {
      return {
        ...base,
        served: [source],
        state: 'match',
        detail: `serves ${source}, the artifact of v${expected.version}`,
      }
    }
    return {
      ...base,
      served: [source],
      state: 'mismatch',
      detail: `serves ${source} but the registry's ${binding.alias} v${expected.version} is ${expected.location}`,
    }
  }
  return {
    ...base,
    served: source ? [source] : [],
    state: 'unknown',
    detail: `the runtime reports no version for ${binding.servedName}${source ? ` (weights: ${source})` : ''}: cannot tell which is served`,
  }
}
