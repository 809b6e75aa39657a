// ai-stack/doctor: the effective configuration (secrets masked) and a check of each backend, for `ai-stack doctor` and GET /admin/doctor.
export { doctorReport, maskCredentials, type DoctorReport } from './report.ts';
export { runChecks, type DoctorCheck, type DoctorProbes } from './checks.ts';
export { doctorAdminRoutes } from './routes.ts';
