export { startApiServer, type ApiServer, type ApiServerDeps } from './server.ts';
export type { RateLimitSettings } from './http/rate-limit.ts';
export type { SocketLimits } from './ws/socket-limits.ts';
