import { WebSocket } from 'ws';
import { errorMessage } from './client-messages.ts';

/**
 * What one socket may cost the API process. Every figure bounds work or memory per socket;
 * the number of sockets is bounded at the upgrade (GENQ_WS_MAX_SOCKETS_PER_KEY).
 */
export interface SocketLimits {
  /** Job and batch subscriptions one socket may hold at once (GENQ_WS_MAX_SUBSCRIPTIONS). */
  maxSubscriptions: number;
  /** Messages (and pings) per second a socket may send, sustained (GENQ_WS_MESSAGES_PER_SECOND). */
  messagesPerSecond: number;
  /** Messages a socket may send at once above that rate (GENQ_WS_MESSAGE_BURST). */
  messageBurst: number;
  /** Snapshots one socket loads at once; further subscriptions wait their turn. */
  concurrentSnapshots: number;
  /** Bytes queued to a socket that does not read beyond which it is dropped. */
  maxBufferedBytes: number;
  /** After a policy close, time the client gets to answer before the socket is cut. */
  closeGraceMs: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = {
  maxSubscriptions: 1_000,
  messagesPerSecond: 100,
  // A reconnecting client sends one subscribe per subscription it held: the whole cap at once.
  messageBurst: 1_000,
  concurrentSnapshots: 8,
  maxBufferedBytes: 16 * 1024 * 1024,
  closeGraceMs: 1_000,
};

/** WebSocket close code 1008: the client broke the server's policy. */
export const POLICY_VIOLATION = 1008;

/**
 * A token bucket: `burst` tokens, refilled at `perSecond`; each message takes one. Constant
 * work and memory per call, whatever the message rate.
 */
export function createTokenBucket(perSecond: number, burst: number, now = () => performance.now()) {
  let tokens = burst;
  let last = now();
  return {
    /** Takes a token; false when none is left (the message is over the rate). */
    take(): boolean {
      const at = now();
      tokens = Math.min(burst, tokens + ((at - last) / 1000) * perSecond);
      last = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/**
 * Runs at most `limit` tasks at once, the rest in order as slots free up. A waiting task is
 * one closure in an array (no promise), so a socket's full cap of waiting loads costs little.
 */
export function createTaskQueue(limit: number) {
  let running = 0;
  let waiting: (() => Promise<void>)[] = [];
  const pump = (): void => {
    while (running < limit && waiting.length > 0) {
      const task = waiting.shift()!;
      running += 1;
      void task()
        .catch(() => undefined)
        .finally(() => {
          running -= 1;
          pump();
        });
    }
  };
  return {
    /** Queues a task; it must handle its own errors (a rejection is ignored). */
    push(task: () => Promise<void>): void {
      waiting.push(task);
      pump();
    },
    /** Drops the tasks not started yet (the socket closed). */
    clear(): void {
      waiting = [];
    },
  };
}

/**
 * Per-socket guard: the message rate and the policy close. Once a socket broke a limit it is
 * `closing`: its further messages are ignored, and it is cut if it does not complete the close
 * handshake within the grace period.
 */
export function createSocketGuard(socket: WebSocket, limits: SocketLimits) {
  const bucket = createTokenBucket(limits.messagesPerSecond, limits.messageBurst);
  let closing = false;

  function violate(code: 'too_many_subscriptions' | 'rate_limited', message: string): void {
    if (closing) return;
    closing = true;
    if (socket.readyState !== WebSocket.OPEN) return;
    socket.send(errorMessage(code, message));
    // The close reason is at most 123 bytes; the code says the same in a word.
    socket.close(POLICY_VIOLATION, code);
    setTimeout(() => {
      if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
    }, limits.closeGraceMs).unref();
  }

  return {
    get closing(): boolean {
      return closing;
    },
    /** Counts one inbound message (or ping); false, after closing the socket, when over the rate. */
    admit(): boolean {
      if (closing) return false;
      if (bucket.take()) return true;
      violate(
        'rate_limited',
        `more than ${limits.messagesPerSecond} messages per second (burst ${limits.messageBurst})`,
      );
      return false;
    },
    /** True when one more subscription fits; otherwise closes the socket. */
    admitSubscription(held: number): boolean {
      if (closing) return false;
      if (held < limits.maxSubscriptions) return true;
      violate(
        'too_many_subscriptions',
        `at most ${limits.maxSubscriptions} subscriptions per socket (unsubscribe first)`,
      );
      return false;
    },
    /** False when the client has not read enough of what was sent (the socket is then cut). */
    canSend(): boolean {
      if (socket.bufferedAmount <= limits.maxBufferedBytes) return true;
      closing = true;
      socket.terminate();
      return false;
    },
  };
}

export type SocketGuard = ReturnType<typeof createSocketGuard>;
