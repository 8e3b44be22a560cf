/**
 * The plain parts of the Import / export tab: what each export target is called and saved
 * as, and reading a chosen file as text (FileReader, which Electron's renderer and every
 * browser have, so no host API is needed to open a file).
 */
import { EXPORT_SERVERS } from '../../../../shared/api';

export type ExportServer = (typeof EXPORT_SERVERS)[number];

export const EXPORT_TARGETS: readonly { server: ExportServer; label: string; fileName: string }[] =
  [
    { server: 'apache', label: 'Apache httpd', fileName: 'httpd-switchyard.conf' },
    { server: 'nginx', label: 'nginx', fileName: 'nginx-switchyard.conf' },
    { server: 'caddy', label: 'Caddy', fileName: 'Caddyfile' },
    { server: 'haproxy', label: 'HAProxy', fileName: 'haproxy-switchyard.cfg' },
    { server: 'kubernetes', label: 'Kubernetes Gateway API', fileName: 'switchyard-gateway.yaml' },
  ];

export function exportTarget(server: ExportServer): (typeof EXPORT_TARGETS)[number] {
  const target = EXPORT_TARGETS.find((t) => t.server === server);
  if (!target) throw new Error(`unknown export server '${server}'`);
  return target;
}

/** Apache configurations are a few KiB; a bigger file is most likely the wrong one. */
export const MAX_IMPORT_BYTES = 1024 * 1024;

export function readTextFile(file: File): Promise<string> {
  if (file.size > MAX_IMPORT_BYTES) {
    return Promise.reject(
      new Error(
        `${file.name} is ${Math.round(file.size / 1024)} KiB; an Apache configuration is rarely over 1 MiB — is it the right file?`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`));
    reader.readAsText(file);
  });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
