// The release tests' real nginx and model servers: one implementation in scripts/nginx.cjs, shared
// with the release benchmark.
export { nginxUnavailable, startModelServer, startNginx, type ModelServer, type Nginx } from '../../scripts/nginx.cjs'
