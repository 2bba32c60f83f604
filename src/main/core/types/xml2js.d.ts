// The part of xml2js Gantry uses (it ships no types; @types/xml2js targets 0.4).
declare module 'xml2js' {
  export function parseStringPromise(
    text: string,
    options?: { explicitArray?: boolean; trim?: boolean },
  ): Promise<unknown>
  export function parseString(
    text: string,
    options: { explicitArray?: boolean; trim?: boolean },
    cb: (err: Error | null, data: unknown) => void,
  ): void
}
