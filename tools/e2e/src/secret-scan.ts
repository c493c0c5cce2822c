import { Client } from 'pg';

/** Something that must never be written down in plain text, and how to recognise it. */
export interface Secret {
  kind: string;
  value: string;
  pattern: RegExp;
}

const escape = (value: string): string => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A one-time code: the digits standing alone (not inside a longer number, id or timestamp). */
export const codeSecret = (code: string): Secret => ({ kind: 'code', value: code, pattern: new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`) });
/** A phone number: its E.164 digits anywhere, with or without the plus. */
export const phoneSecret = (e164: string): Secret => ({ kind: 'phone number', value: e164, pattern: new RegExp(escape(e164.replace(/^\+/, ''))) });
export const emailSecret = (address: string): Secret => ({ kind: 'e-mail address', value: address, pattern: new RegExp(escape(address), 'i') });
export const tokenSecret = (kind: string, value: string): Secret => ({ kind, value, pattern: new RegExp(escape(value)) });

export interface Leak {
  kind: string;
  value: string;
  where: string;
  excerpt: string;
}

/** Every place in `text` (named `where`) that shows one of `secrets`. */
export function findLeaks(where: string, text: string, secrets: Secret[]): Leak[] {
  const leaks: Leak[] = [];
  for (const secret of secrets) {
    const match = secret.pattern.exec(text);
    if (match) leaks.push({ kind: secret.kind, value: secret.value, where, excerpt: text.slice(Math.max(0, match.index - 120), match.index + match[0].length + 60) });
  }
  return leaks;
}

/** Every row of every table in the database, as JSON text, one entry per table. */
export async function databaseContents(url: string): Promise<Map<string, string>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    const contents = new Map<string, string>();
    for (const { table_name: table } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`);
      contents.set(table, rows.rows.map((r) => r.row).join('\n'));
    }
    return contents;
  } finally {
    await client.end();
  }
}
