import { ValidationError, type ErrorDetail } from '@genq/core';
import {
  DEFAULT_WEBHOOK_EVENTS,
  parseWebhookAllowlist,
  parseWebhookUrl,
  resolveWebhookTarget,
  WEBHOOK_EVENTS,
  webhookHostname,
  WebhookTargetError,
  type WebhookLookup,
  type WebhookSubscription,
} from '@genq/queue';
import type { WebhookRequest } from './webhook-schema.ts';

export interface WebhookTargetsOptions {
  /** GENQ_WEBHOOK_ALLOWLIST: hosts, addresses or CIDRs. */
  allowlist: readonly string[];
  /** For tests: replaces the system resolver. */
  lookup?: WebhookLookup;
}

export interface WebhookCheckItem {
  webhook: WebhookRequest;
  /** Where the field is in the request, e.g. `webhook` or `requests.3.webhook`. */
  path: string;
}

/**
 * Submission-time checks of webhook URLs: the allowlist (http only for allowlisted hosts) and
 * a DNS lookup whose every address must be public or allowlisted. The worker checks again
 * before each delivery, since DNS answers change.
 */
export function createWebhookTargets(options: WebhookTargetsOptions) {
  const allowlist = parseWebhookAllowlist(options.allowlist);

  /** The subscription as stored: the URL normalised, the events in their canonical order. */
  const normalise = (webhook: WebhookRequest, url: URL): WebhookSubscription => {
    const wanted = webhook.events ?? DEFAULT_WEBHOOK_EVENTS;
    return { url: url.href, events: WEBHOOK_EVENTS.filter((event) => wanted.includes(event)) };
  };

  async function checkAll(
    items: WebhookCheckItem[],
  ): Promise<{ subscriptions: (WebhookSubscription | null)[]; details: ErrorDetail[] }> {
    // One lookup per host, however many jobs of a batch name it.
    const lookups = new Map<string, Promise<string | null>>();
    const problems: (ErrorDetail | null)[] = items.map(() => null);
    const subscriptions = await Promise.all(
      items.map(async ({ webhook, path }, index) => {
        const fail = (message: string): null => {
          problems[index] = { path: `${path}.url`, message };
          return null;
        };
        let url: URL;
        try {
          url = parseWebhookUrl(webhook.url, allowlist);
        } catch (error) {
          if (error instanceof WebhookTargetError) return fail(error.message);
          throw error;
        }
        const host = webhookHostname(url).toLowerCase();
        let pending = lookups.get(host);
        if (!pending) {
          pending = resolveWebhookTarget(url, allowlist, options.lookup).then(
            () => null,
            (error: unknown) => {
              if (error instanceof WebhookTargetError) return error.message;
              throw error;
            },
          );
          lookups.set(host, pending);
        }
        const problem = await pending;
        return problem ? fail(problem) : normalise(webhook, url);
      }),
    );
    // In the order of the items, whichever lookup finished first.
    const details = problems.filter((p): p is ErrorDetail => p !== null);
    return { subscriptions, details };
  }

  return {
    checkAll,
    /** One webhook; a refused URL is a 400 naming `<path>.url`. */
    async check(webhook: WebhookRequest, path = 'webhook'): Promise<WebhookSubscription> {
      const { subscriptions, details } = await checkAll([{ webhook, path }]);
      const subscription = subscriptions[0];
      if (!subscription) throw new ValidationError('invalid webhook', details);
      return subscription;
    },
  };
}

export type WebhookTargets = ReturnType<typeof createWebhookTargets>;
