/**
 * The desktop shell's own preferences (notifications on/off), kept in
 * `<userData>/desktop.json` beside the engine's data. Plain module.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface DesktopPreferences {
  notifications: boolean;
}

export const DEFAULT_PREFERENCES: DesktopPreferences = { notifications: true };

export function readPreferences(dir: string): DesktopPreferences {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'desktop.json'), 'utf8')) as Partial<DesktopPreferences>;
    return { notifications: typeof raw.notifications === 'boolean' ? raw.notifications : DEFAULT_PREFERENCES.notifications };
  } catch {
    // Missing or damaged: the defaults, rewritten on the next change.
    return { ...DEFAULT_PREFERENCES };
  }
}

export function writePreferences(dir: string, preferences: DesktopPreferences): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'desktop.json');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(preferences, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}
