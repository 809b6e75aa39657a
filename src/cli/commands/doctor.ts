import { doctorReport } from '../../doctor/index.ts';
import type { Command } from '../command.ts';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Print the effective configuration (secrets masked) and check each backend',
  usage: 'Usage: ai-stack doctor',
  async run(_args, ctx) {
    const report = await doctorReport(ctx.loadConfig());
    ctx.stdout.write('Effective configuration:\n');
    for (const { name, value } of report.settings) ctx.stdout.write(`  ${name.padEnd(34)} ${value}\n`);
    ctx.stdout.write('\nChecks:\n');
    for (const r of report.checks) ctx.stdout.write(`  [${r.ok ? ' ok ' : 'FAIL'}] ${r.name.padEnd(10)} ${r.detail}\n`);
    return report.ok ? 0 : 1;
  },
};
