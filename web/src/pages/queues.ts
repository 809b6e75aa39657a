import { api } from '../api.ts';

export interface QueueInfo {
  name: string;
  paused: boolean;
  counts: Record<'waiting' | 'active' | 'delayed' | 'completed' | 'failed', number>;
}

export const loadQueues = () => api<QueueInfo[]>('/admin/tasks/queues');
