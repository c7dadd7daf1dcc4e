/**
 * Electron glue: registers main/ipc-handlers.ts with ipcMain. Each method
 * channel is a one-line delegation to the control contract (sender frame
 * checked there); subscriptions live as long as the renderer's page.
 */
import { ipcMain } from 'electron';
import type { ControlContract } from '../proxy/control/contract.ts';
import { methodHandlers, RendererSubscriptions } from './ipc-handlers.ts';
import { SUBSCRIBE_CHANNEL, UNSUBSCRIBE_CHANNEL } from './preload-api.ts';

export function registerControlIpc(control: ControlContract): void {
  for (const handler of methodHandlers(control)) {
    ipcMain.handle(handler.channel, (event, ...args: unknown[]) => handler.handle(event.senderFrame?.url, args));
  }
  const subscriptions = new RendererSubscriptions(control);
  const watched = new Set<number>();
  ipcMain.on(SUBSCRIBE_CHANNEL, (event, request: unknown) => {
    const contents = event.sender;
    const refused = subscriptions.subscribe(contents.id, event.senderFrame?.url, request, (channel, payload) => {
      if (!contents.isDestroyed()) contents.send(channel, payload);
    });
    if (refused) return void process.stderr.write(`[WARNING] ${SUBSCRIBE_CHANNEL} refused: ${refused}\n`);
    if (watched.has(contents.id)) return;
    watched.add(contents.id);
    const drop = () => subscriptions.dropSender(contents.id);
    // A reload or navigation starts a new page, which subscribes again.
    contents.on('did-start-navigation', (details) => { if (details.isMainFrame && !details.isSameDocument) drop(); });
    contents.once('destroyed', () => { drop(); watched.delete(contents.id); });
  });
  ipcMain.on(UNSUBSCRIBE_CHANNEL, (event, id: unknown) => subscriptions.unsubscribe(event.sender.id, id));
}
