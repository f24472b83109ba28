import type { Socket } from 'node:net';

/** How long a connection being closed keeps reading (and dropping) what the peer still sends. */
export const LINGER_MS = 2_000;

/**
 * Closes a connection without losing the answer already written (RFC 9112 §9.6): a socket
 * closed while the peer is still sending makes the kernel answer with a reset, which can
 * discard the answer before the peer reads it. So: send FIN, keep reading until the peer
 * closes or LINGER_MS passes, then close. Used by the api and by the lab's edge.
 */
export function lingeringClose(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('end', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
}
