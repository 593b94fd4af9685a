export { buildDashboard, dashboardDistDir, type DashboardBuild } from './build.ts';
