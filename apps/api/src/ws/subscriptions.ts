import type { WebSocket } from 'ws';
import type { JobEvent } from '@genq/core';

/** An event as sent: the JSON received from Redis, encoded once for every socket. */
export type Payload = string | Buffer;

type Held = { event: JobEvent; raw: Payload }[];

/** A socket following one job. */
export interface Subscription {
  socket: WebSocket;
  jobId: string;
  /** Waiting for a snapshot slot: events are dropped, the snapshot will be newer. */
  queued: boolean;
  /** While the snapshot loads, events are held here (only that long, so only a few). */
  pending: Held | null;
  lastSeq: number;
}

/** A socket following every job of a batch; each job keeps its own sequence. */
export interface BatchSubscription {
  socket: WebSocket;
  batchId: string;
  /** Waiting for a snapshot slot: events are dropped, the snapshot will be newer. */
  queued: boolean;
  /** While the snapshot loads, events are held here (only that long, so only a few). */
  pending: Held | null;
  /** Per job id: the seq of the latest state sent. */
  lastSeq: Map<string, number>;
}

export type Send = (socket: WebSocket, data: Payload) => void;

/** Sends the event if it is newer than what the subscriber has; true when sent. */
export function deliver(sub: Subscription, event: JobEvent, raw: Payload, send: Send): boolean {
  if (sub.queued) return false;
  if (sub.pending) {
    sub.pending.push({ event, raw });
    return false;
  }
  if (event.seq <= sub.lastSeq) return false;
  sub.lastSeq = event.seq;
  send(sub.socket, raw);
  return true;
}

/** As `deliver`, per job of the batch; `skip` is set when the socket already got it. */
export function deliverToBatch(
  sub: BatchSubscription,
  event: JobEvent,
  raw: Payload,
  send: Send,
  skip = false,
): void {
  if (sub.queued) return;
  if (sub.pending) {
    sub.pending.push({ event, raw });
    return;
  }
  if (event.seq <= (sub.lastSeq.get(event.job_id) ?? -1)) return;
  sub.lastSeq.set(event.job_id, event.seq);
  if (!skip) send(sub.socket, raw);
}

/** Adds a subscription to the index of its job or batch. */
export function addTo<S>(index: Map<string, Set<S>>, key: string, sub: S): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(sub);
}

/** Removes it; an id nobody follows any more leaves the index. */
export function removeFrom<S>(index: Map<string, Set<S>>, key: string, sub: S): void {
  const set = index.get(key);
  set?.delete(sub);
  if (set?.size === 0) index.delete(key);
}
