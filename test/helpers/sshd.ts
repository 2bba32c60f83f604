// The SSH-host tests' real sshd and throwaway login: one implementation in scripts/sshd.cjs,
// shared with the e2e specs and the fleet benchmark.
export {
  createLogin,
  fingerprint,
  freePort,
  makeKey,
  sshdUnavailable,
  startSshd,
  type Login,
  type Sshd,
  type SshdOptions,
} from '../../scripts/sshd.cjs'
