// Links to the Models screens.

export const modelHref = (name: string, version?: number): string =>
  `#/models/${encodeURIComponent(name)}${version === undefined ? '' : `/${version}`}`
