import { parseArgs } from 'node:util';
import { maskPhone } from './shared/mask-phone';
import { SmtpFake } from './smtp/smtp-fake';
import { TwilioFake } from './twilio/twilio-fake';

const USAGE = `usage: node dist/tools/fakes/src/main.js [--twilio-port N] [--smtp-port N]
  [--twilio-account-sid AC… --twilio-auth-token …] [--smtp-user U --smtp-password P]
Starts the loopback Twilio and SMTP fakes and prints their URLs and credentials as one JSON line.`;

function portOption(value: string | undefined, name: string): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${name} must be a port number, got ${value}`);
  return port;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'twilio-port': { type: 'string' },
      'smtp-port': { type: 'string' },
      'twilio-account-sid': { type: 'string' },
      'twilio-auth-token': { type: 'string' },
      'smtp-user': { type: 'string' },
      'smtp-password': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (Boolean(values['smtp-user']) !== Boolean(values['smtp-password'])) {
    throw new Error('--smtp-user and --smtp-password go together');
  }

  const twilio = new TwilioFake({
    port: portOption(values['twilio-port'], 'twilio-port'),
    accountSid: values['twilio-account-sid'],
    authToken: values['twilio-auth-token'],
  });
  const smtpAuth =
    values['smtp-user'] && values['smtp-password'] ? { user: values['smtp-user'], password: values['smtp-password'] } : undefined;
  const smtp = new SmtpFake({ port: portOption(values['smtp-port'], 'smtp-port'), auth: smtpAuth });
  await twilio.start();
  await smtp.start();

  // Bodies are shown in full (this is a developer's inbox); phone numbers are masked so the
  // output can be pasted into an issue without leaking anyone's number.
  twilio.onMessage((m) => log(`sms ${m.sid} to=${maskPhone(m.to)} from=${m.from ? maskPhone(m.from) : m.messagingServiceSid} body=${JSON.stringify(m.body)}`));
  twilio.onCall((c) => log(`call ${c.sid} to=${maskPhone(c.to)} from=${maskPhone(c.from)} twiml=${JSON.stringify(c.twiml ?? c.url ?? c.applicationSid)}`));
  smtp.onMail((m) => log(`mail ${m.id} from=${m.from} to=${m.to.join(',')} subject=${JSON.stringify(m.subject)} text=${JSON.stringify(m.text)}`));

  process.stdout.write(
    `${JSON.stringify({
      twilio: { url: twilio.url, port: twilio.port, accountSid: twilio.accountSid, authToken: twilio.authToken },
      smtp: { url: smtp.url, host: smtp.host, port: smtp.port, user: smtpAuth?.user ?? null, password: smtpAuth?.password ?? null },
    })}\n`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping fakes`);
    Promise.all([twilio.stop(), smtp.stop()]).then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`fakes: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
