import { migrateToLatest, openDatabase } from '../../db/index.ts';
import type { Command } from '../command.ts';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations (also done at start)',
  usage: 'Usage: ai-stack migrate',
  async run(_args, ctx) {
    const config = ctx.loadConfig();
    const db = await openDatabase(config.database);
    try {
      const { applied } = await migrateToLatest(db);
      ctx.stdout.write(
        applied.length === 0 ? 'Database is up to date.\n' : `Applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}`).join('\n')}\n`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
