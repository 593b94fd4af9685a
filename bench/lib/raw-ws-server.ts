/**
 * Raw baseline for WebSocket memory: a bare `ws` server on `node:http`, in its own process,
 * that greets each socket with one message the size of a job snapshot and keeps it open.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { serve } from './ipc.ts';

const greeting = JSON.stringify({
  type: 'snapshot',
  job_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  batch_id: null,
  client_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c',
  seq: 4,
  status: 'completed',
  current_step: 'completed',
  progress: 100,
  message: 'completed',
  attempts: 1,
  error: null,
  timestamp: new Date().toISOString(),
  position: null,
  eta_seconds: null,
});

const open = new Set<WebSocket>();
const server = createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    open.add(ws);
    ws.on('close', () => open.delete(ws));
    ws.send(greeting);
  });
});

serve({
  async listen() {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return { port: (server.address() as AddressInfo).port };
  },
  count: () => open.size,
});
