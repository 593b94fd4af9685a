import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type RequestHandler } from 'express';
import helmet from 'helmet';

/** apps/dashboard/dist, built by `npm run build:dashboard` (also run by postinstall and npm start). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(
  new URL('../../../dashboard/dist/', import.meta.url),
);

/**
 * The dashboard's policy: its own scripts and styles only, and the API and WebSocket of this
 * origin ('self' covers ws: and wss: to the same host in CSP Level 3). No
 * upgrade-insecure-requests: genq is often reached over plain HTTP on a private network, where
 * that directive would send the page's own assets to an HTTPS port that does not exist.
 */
export const dashboardCsp: RequestHandler = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Serves the built dashboard: `/` (index.html, revalidated on every load so a new build shows
 * at once) and `/assets/<name>-<hash>.<ext>` (content-hashed, so cached for a year as
 * immutable), gzipped when the browser accepts it and the build wrote a `.gz` copy.
 */
export function createDashboardStatic(distDir = DEFAULT_DASHBOARD_DIR): Router {
  const router = Router();
  const assetsDir = path.join(distDir, 'assets');

  const page: RequestHandler = (_req, res) => {
    const index = path.join(distDir, 'index.html');
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The dashboard is not built: run `npm run build:dashboard`, then reload.\n');
      return;
    }
    res.sendFile(index, {
      headers: { 'Cache-Control': 'no-cache', 'Content-Type': 'text/html; charset=utf-8' },
    });
  };
  router.get(['/', '/index.html'], dashboardCsp, page);

  router.get('/assets/:name', async (req, res, next) => {
    const name = req.params.name;
    const type = CONTENT_TYPES[path.extname(name)];
    if (!/^[\w.-]+$/.test(name) || !type) {
      next();
      return;
    }
    const file = path.join(assetsDir, name);
    const gzipped = `${file}.gz`;
    const [plain, packed] = await Promise.all([
      stat(file).catch(() => null),
      req.acceptsEncodings('gzip') ? stat(gzipped).catch(() => null) : null,
    ]);
    if (!plain?.isFile()) {
      next();
      return;
    }
    res.vary('Accept-Encoding');
    const headers: Record<string, string> = {
      'Cache-Control': 'public, max-age=31536000, immutable',
      'Content-Type': type,
    };
    if (packed?.isFile()) headers['Content-Encoding'] = 'gzip';
    const options = { headers, acceptRanges: false };
    res.sendFile(packed?.isFile() ? gzipped : file, options, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });

  return router;
}
