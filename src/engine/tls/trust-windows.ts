/**
 * Windows: the current user's Root store. No administrator rights needed; Windows shows
 * its own confirmation dialog naming the certificate. Chrome and Edge read this store
 * (recent Firefox too, through security.enterprise_roots.enabled). Not run on this
 * project's CI (Linux); the commands follow the certutil documentation.
 */
import { runCommand } from './run-command.js';
import {
  certificateIds,
  runAll,
  type CaFile,
  type TrustStatus,
  type TrustStore,
} from './trust-store.js';

export class WindowsRootStore implements TrustStore {
  readonly name = 'Windows current-user Root store';
  readonly scope = 'user' as const;

  async status(ca: CaFile): Promise<TrustStatus> {
    const serial = certificateIds(ca.pem).serial;
    const r = await runCommand(['certutil', '-user', '-verifystore', 'Root', serial]);
    if (r.missing) return { trusted: false, detail: 'certutil.exe is not available' };
    return r.code === 0
      ? { trusted: true, detail: `trusted (serial ${serial})` }
      : { trusted: false, detail: 'not trusted: not in the current-user Root store' };
  }

  installCommands(ca: CaFile): string[][] {
    return [['certutil', '-user', '-addstore', 'Root', ca.path]];
  }

  removeCommands(ca: CaFile): string[][] {
    return [['certutil', '-user', '-delstore', 'Root', certificateIds(ca.pem).serial]];
  }

  install(ca: CaFile): Promise<void> {
    return runAll(this.name, this.installCommands(ca));
  }

  remove(ca: CaFile): Promise<void> {
    return runAll(this.name, this.removeCommands(ca));
  }
}
