/**
 * `<IfModule>` as Switchyard answers it: the modules whose features Switchyard has are
 * "loaded", as is anything the file itself loads with LoadModule before the test. Any
 * other module is absent, so its block is skipped — and the import says so, because a
 * skipped block may hold something the user expected to apply.
 */

/** Module identifiers (`proxy_module`) of what Switchyard itself does. */
const PROVIDED = new Set([
  'proxy_module',
  'proxy_http_module',
  'proxy_balancer_module',
  'proxy_wstunnel_module',
  'proxy_hcheck_module',
  'lbmethod_byrequests_module',
  'lbmethod_bytraffic_module',
  'lbmethod_bybusyness_module',
  'slotmem_shm_module',
  'headers_module',
  'authz_core_module',
  'authz_host_module',
  'ssl_module',
  'socache_shmcb_module',
  'watchdog_module',
]);

/** `mod_proxy.c`, `mod_proxy.so` or `proxy_module` → `proxy_module`. */
export function moduleId(name: string): string {
  const file = /^mod_(.+)\.(c|so)$/i.exec(name);
  return (file ? `${file[1]}_module` : name).toLowerCase();
}

export class Modules {
  readonly #loaded = new Set(PROVIDED);

  load(id: string): void {
    this.#loaded.add(moduleId(id));
  }

  /** The test of `<IfModule [!]name>`. */
  test(arg: string): boolean {
    const negated = arg.startsWith('!');
    const present = this.#loaded.has(moduleId(negated ? arg.slice(1) : arg));
    return negated ? !present : present;
  }
}
