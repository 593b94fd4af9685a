import { Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import { buildOpenApiDocument, type OpenApiOptions } from './document.ts';

const DOCUMENT_PATH = '/api/v1/openapi.json';
const ASSETS = new Set([
  '/swagger-ui.css',
  '/swagger-ui-bundle.js',
  '/swagger-ui-standalone-preset.js',
  '/swagger-ui-init.js',
  '/favicon-32x32.png',
  '/favicon-16x16.png',
]);

/**
 * The docs page's policy: helmet's default without `upgrade-insecure-requests`, which would
 * send the page's own scripts to an HTTPS port that does not exist when genq is reached over
 * plain HTTP on a private network (as the dashboard's policy does). Swagger UI loads its
 * scripts, styles and the document from this origin and styles itself inline.
 */
const docsCsp: RequestHandler = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

/** `GET /api/v1/openapi.json` and the Swagger UI at `GET /api/v1/docs/`; both public. */
export function createOpenApiRoutes(options: OpenApiOptions, guards: RequestHandler[]): Router {
  const router = Router();
  const document = buildOpenApiDocument(options);
  const body = JSON.stringify(document);
  const uiOptions = {
    swaggerUrl: DOCUMENT_PATH,
    customSiteTitle: 'genq API',
    // No calls to validator.swagger.io: the page talks to this server only.
    swaggerOptions: { validatorUrl: null, persistAuthorization: false },
  };
  const page = swaggerUi.setup(undefined, uiOptions);

  router.get('/openapi.json', ...guards, (_req, res) => {
    res.type('application/json').send(body);
  });
  // The page loads its assets relative to itself, so it lives at /docs/.
  router.use('/docs', docsCsp);
  router.get('/docs', ...guards, (req, res, next) => {
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/docs/`);
      return;
    }
    page(req, res, next);
  });
  // Only what the page loads; the rest of swagger-ui-dist (its demo index.html, …) is not served.
  const [init, files] = swaggerUi.serveFiles(undefined, uiOptions) as [
    RequestHandler,
    RequestHandler,
  ];
  router.use('/docs', (req, res, next) => {
    if (!ASSETS.has(req.path)) {
      next();
      return;
    }
    init(req, res, (error?: unknown) => (error ? next(error) : files(req, res, next)));
  });
  return router;
}
