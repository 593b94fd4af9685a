export { startApiServer, type ApiServer, type ApiServerDeps } from './server.ts';
