import { rotateEncryptionKeys } from '@mfa/persistence';
import { loadKeyring, withDatabase } from './admin-environment';
import type { Command, CommandGroup } from './command';

const rotateKeys: Command = {
  name: 'rotate',
  summary: 'Re-encrypt stored secrets with the first key of MFA_ENCRYPTION_KEYS (resumable)',
  usage: '',
  options: [],
  async run(_options, { env, stdout }) {
    // The keys first: a missing keyring should stop us before touching the database.
    const keyring = loadKeyring(env);
    stdout.write(`Re-encrypting stored secrets with key "${keyring.primaryKeyId}"…\n`);
    const result = await withDatabase(env, (database) =>
      rotateEncryptionKeys(database, keyring, (progress) => {
        stdout.write(`  ${progress.scanned} factors scanned, ${progress.reencrypted} re-encrypted\n`);
      }),
    );
    stdout.write(`Done: ${result.scanned} factors with secrets scanned, ${result.reencrypted} re-encrypted with key "${keyring.primaryKeyId}".\n`);
  },
};

export const keysCommands: CommandGroup = { name: 'keys', commands: [rotateKeys] };
