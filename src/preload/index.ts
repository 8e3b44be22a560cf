/**
 * The sandboxed preload (bundled to CommonJS with src/shared, so it requires only
 * `electron`): exposes `window.switchyard`, one function per API method plus `on`, and
 * nothing else. See bridge.ts.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge.js';

contextBridge.exposeInMainWorld('switchyard', createBridge(ipcRenderer));
