import type { Queue } from 'bullmq';
import { Router } from 'express';
import type { Authenticator } from '../auth/authenticator.ts';
import { createOpsView } from './ops-view.ts';
import { createDashboardStatic } from './static-files.ts';

export { OPS_PATH, presentedAdminKey } from './ops-view.ts';
export { DEFAULT_DASHBOARD_DIR } from './static-files.ts';

export interface DashboardRoutesOptions {
  auth: Authenticator;
  /** The generator queues bull-board shows at /admin/queues (JobQueue.queues()). */
  queues: Queue[];
  /** The built dashboard (default: apps/dashboard/dist). */
  distDir?: string;
}

/** The browser side of genq: the dashboard at `/` and the ops view at `/admin/queues`. */
export function createDashboardRoutes(options: DashboardRoutesOptions): Router {
  const router = Router();
  router.use(createOpsView({ auth: options.auth, queues: options.queues }));
  router.use(createDashboardStatic(options.distDir));
  return router;
}
