// node-nvidia-smi ships no types: it calls back with the xml2js object of `nvidia-smi -q -x`.
declare module 'node-nvidia-smi' {
  function nvidiaSmi(callback: (err: unknown, data: unknown) => void): void
  export default nvidiaSmi
}
