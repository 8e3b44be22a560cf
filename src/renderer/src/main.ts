/**
 * Renderer entry: one ProxyClient for the whole app (IPC in Electron, WebSocket in a
 * browser), provided to every store and component under PROXY_CLIENT_KEY.
 */
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { chooseClient, type ProxyClient } from './api/client.js';
import { PROXY_CLIENT_KEY } from './api/inject.js';
import App from './App.vue';

function showStartupError(message: string): void {
  const root = document.getElementById('app');
  if (!root) return;
  const box = document.createElement('main');
  box.setAttribute('role', 'alert');
  box.style.cssText = 'max-width:36rem;margin:15vh auto;padding:0 1.5rem;font:15px/1.5 system-ui';
  const title = document.createElement('h1');
  title.textContent = 'Switchyard cannot reach its engine';
  title.style.fontSize = '1.3rem';
  const text = document.createElement('p');
  text.textContent = message;
  box.append(title, text);
  root.replaceChildren(box);
}

let client: ProxyClient | undefined;
try {
  client = chooseClient();
} catch (e) {
  showStartupError((e as Error).message);
}

if (client) {
  createApp(App).provide(PROXY_CLIENT_KEY, client).use(createPinia()).mount('#app');
}
