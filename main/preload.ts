/**
 * Preload of the dashboard window: exposes `window.loadstar` (the control
 * contract) and nothing else. Runs sandboxed, so it is bundled into one
 * CommonJS file (dist/main/preload.cjs) by scripts/build-preload.js.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { buildLoadstarApi } from './preload-api.ts';

// The renderer's listeners get the payload only: the IpcRendererEvent (and its `sender`) never crosses the bridge.
// One wrapper per listener (a subscription listens on several channels with one listener).
const wrapped = new WeakMap<(payload: unknown) => void, (event: IpcRendererEvent, payload: unknown) => void>();

contextBridge.exposeInMainWorld('loadstar', buildLoadstarApi({
  invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
  send: (channel, ...args) => ipcRenderer.send(channel, ...args),
  on: (channel, listener) => {
    let inner = wrapped.get(listener);
    if (!inner) {
      inner = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
      wrapped.set(listener, inner);
    }
    ipcRenderer.on(channel, inner);
  },
  off: (channel, listener) => {
    const inner = wrapped.get(listener);
    if (inner) ipcRenderer.off(channel, inner);
  },
}));
