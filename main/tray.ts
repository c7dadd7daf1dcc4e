/**
 * Electron glue for the tray: shows a TrayView (main/tray-state.ts) — icon
 * per state, tooltip, menu — and hands menu clicks back as TrayActions.
 */
import path from 'node:path';
import { Menu, nativeImage, Tray } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import type { TrayAction, TrayMenuItem, TrayView } from './tray-state.ts';

export class TrayIcon {
  private readonly tray: Tray;
  private shown: string | undefined;

  constructor(private readonly iconDir: string, private readonly onAction: (action: TrayAction) => void) {
    this.tray = new Tray(this.image('tray-stopped'));
    this.tray.on('double-click', () => onAction({ type: 'open-dashboard' }));
  }

  show(view: TrayView): void {
    const key = JSON.stringify(view);
    if (key === this.shown) return;
    this.shown = key;
    this.tray.setImage(this.image(view.icon));
    this.tray.setToolTip(view.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(view.menu.map((item) => this.template(item))));
  }

  destroy(): void {
    this.tray.destroy();
  }

  private image(name: string) {
    // 16 px with @2x variants next to it; Electron picks the one for the screen's scale.
    return nativeImage.createFromPath(path.join(this.iconDir, `${name}-16.png`));
  }

  private template(item: TrayMenuItem): MenuItemConstructorOptions {
    if (item.kind === 'separator') return { type: 'separator' };
    if (item.kind === 'checkbox') return { type: 'checkbox', label: item.label, checked: item.checked, click: () => this.onAction(item.action) };
    const action = item.action;
    return { label: item.label, enabled: item.enabled, ...(action ? { click: () => this.onAction(action) } : {}) };
  }
}
