import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Directory holding `mfa/v1/mfa.proto`, from the sources or from the build output. */
function protoRoot(): string {
  const candidates = [join(__dirname, '..', 'proto'), join(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'proto')];
  const found = candidates.find((dir) => existsSync(join(dir, 'mfa', 'v1', 'mfa.proto')));
  if (!found) throw new Error(`mfa.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

export const PROTO_ROOT = protoRoot();
export const MFA_PROTO_PATH = join(PROTO_ROOT, 'mfa', 'v1', 'mfa.proto');
export const MFA_PACKAGE = 'mfa.v1';
export const MFA_SERVICE = 'MfaService';

/**
 * proto-loader options shared by the server and the typed client: proto field names as written
 * (snake_case), enums as their names, 64-bit numbers as JS numbers, defaults filled in.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};
