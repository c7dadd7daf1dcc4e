/**
 * Where Loadstar keeps its state. The order follows the XDG base directory
 * convention so a user can move everything with one variable.
 */
import os from 'node:os';
import path from 'node:path';

export interface DataDirOptions {
  /** Wins over every environment variable. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** `dataDir`, else $LOADSTAR_DATA_DIR, else $XDG_DATA_HOME/loadstar, else ~/.local/share/loadstar. */
export function resolveDataDir(options: DataDirOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.dataDir) return path.resolve(options.dataDir);
  if (env.LOADSTAR_DATA_DIR) return path.resolve(env.LOADSTAR_DATA_DIR);
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)) return path.join(env.XDG_DATA_HOME, 'loadstar');
  return path.join(os.homedir(), '.local', 'share', 'loadstar');
}
