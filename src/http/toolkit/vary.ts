import type { FastifyReply } from 'fastify';

/** Adds a field name to `Vary` once, keeping whatever other plugins or the handler put there. */
export function appendVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  if (current === undefined || current === '') {
    reply.header('vary', field);
    return;
  }
  const text = Array.isArray(current) ? current.join(', ') : String(current);
  if (text.trim() === '*') return;
  const wanted = field.toLowerCase();
  if (text.split(',').some((name) => name.trim().toLowerCase() === wanted)) return;
  reply.header('vary', `${text}, ${field}`);
}
