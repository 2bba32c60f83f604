// The Content-Security-Policy of the console, the same under Electron and the headless server:
// nothing but this origin, no inline script, no frames (air-gapped sites; Electron checklist #7).
// style-src allows inline styles (not scripts): echarts writes style attributes into its tooltip markup.
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
