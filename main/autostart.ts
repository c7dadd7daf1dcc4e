/**
 * "Open at login" on Linux: an XDG autostart entry
 * ($XDG_CONFIG_HOME/autostart/loadstar.desktop), since Electron's
 * login-item API covers only macOS and Windows. Plain module, tested on a
 * temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const AUTOSTART_FILE = 'loadstar.desktop';

/** `$XDG_CONFIG_HOME/autostart`, else `~/.config/autostart` (a relative XDG_CONFIG_HOME is ignored, as the spec says). */
export function xdgAutostartDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(config, 'autostart');
}

/** Quotes one Exec argument per the Desktop Entry Specification. */
export function quoteExecArg(arg: string): string {
  if (arg !== '' && !/[\s"'\\`$<>~|&;*?#()%]/.test(arg)) return arg;
  return `"${arg.replace(/[\\"`$]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
}

/** The entry's text: starts Loadstar hidden in the tray (`--hidden`). */
export function autostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Loadstar',
    'Comment=Load balancer for the home lab (starts in the tray)',
    `Exec=${command.map(quoteExecArg).join(' ')}`,
    'Icon=loadstar',
    'Terminal=false',
    'Categories=Network;',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function isAutostartEnabled(dir = xdgAutostartDir()): boolean {
  try {
    const text = fs.readFileSync(path.join(dir, AUTOSTART_FILE), 'utf8');
    // A user (or a desktop's settings panel) may disable it in place.
    return !/^Hidden=true$/m.test(text) && !/^X-GNOME-Autostart-enabled=false$/m.test(text);
  } catch {
    return false;
  }
}

/** Writes or removes the entry; `command` is the executable and its arguments (an AppImage: $APPIMAGE). */
export function setAutostart(enabled: boolean, command: readonly string[], dir = xdgAutostartDir()): void {
  const file = path.join(dir, AUTOSTART_FILE);
  if (!enabled) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, autostartEntry(command), { mode: 0o644 });
  fs.renameSync(temp, file);
}
