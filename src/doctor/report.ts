import { describeConfig, type Config } from '../config/index.ts';
import { runChecks, type DoctorCheck, type DoctorProbes } from './checks.ts';

/** `ai-stack doctor` as data: the effective configuration (secrets masked) and each backend's check. */
export interface DoctorReport {
  ok: boolean;
  settings: { name: string; value: string }[];
  checks: DoctorCheck[];
}

export async function doctorReport(config: Config, probes: DoctorProbes = {}): Promise<DoctorReport> {
  const checks = (await runChecks(config, probes)).map((check) => ({ ...check, detail: maskCredentials(check.detail) }));
  const settings = Object.entries(describeConfig(config)).map(([name, value]) => ({ name, value }));
  return { ok: checks.every((check) => check.ok), settings, checks };
}

/** A driver's error may quote the URL it failed on: its password never leaves through a check's detail. */
export function maskCredentials(text: string): string {
  return text.replace(/(\/\/[^\s:@/]*):[^\s@/]*@/g, '$1:***@');
}
