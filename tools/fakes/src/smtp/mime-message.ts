/**
 * Just enough RFC 5322 / MIME parsing to show what the email worker sent: decoded headers
 * (RFC 2047 encoded words), the first text/plain and text/html bodies (base64 or
 * quoted-printable, any charset Node's TextDecoder knows), nested multiparts, and attachment
 * names. `mailparser` would do more, but it is not a dependency of this repository.
 */
export interface ParsedMail {
  /** Lower-cased header names; a repeated header keeps its first value. */
  headers: Record<string, string>;
  subject: string;
  text: string | null;
  html: string | null;
  attachments: { filename: string | null; contentType: string; size: number }[];
}

interface ContentType {
  type: string;
  params: Record<string, string>;
}

export function parseMail(raw: Buffer): ParsedMail {
  const mail: ParsedMail = { headers: {}, subject: '', text: null, html: null, attachments: [] };
  // latin1 maps every byte to one char, so the raw bytes survive until a part names its charset.
  // The last line break ends the SMTP DATA (it precedes the lone "."), not the body text.
  const root = parsePart(raw.toString('latin1').replace(/\r?\n$/, ''));
  mail.headers = root.headers;
  mail.subject = root.headers['subject'] ?? '';
  collect(root, mail);
  return mail;
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

function parsePart(source: string): Part {
  const match = /\r?\n\r?\n/.exec(source);
  const headerBlock = match ? source.slice(0, match.index) : source;
  const body = match ? source.slice(match.index + match[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of headerBlock.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = decodeHeader(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function collect(part: Part, mail: ParsedMail): void {
  const contentType = parseContentType(part.headers['content-type'] ?? 'text/plain; charset=us-ascii');
  const boundary = contentType.params['boundary'];
  if (contentType.type.startsWith('multipart/') && boundary) {
    for (const child of splitMultipart(part.body, boundary)) collect(parsePart(child), mail);
    return;
  }
  const bytes = decodeTransferEncoding(part.body, part.headers['content-transfer-encoding'] ?? '7bit');
  const disposition = parseContentType(part.headers['content-disposition'] ?? 'inline');
  const filename = disposition.params['filename'] ?? contentType.params['name'] ?? null;
  const isAttachment = disposition.type === 'attachment' || filename !== null;
  if (!isAttachment && contentType.type === 'text/plain' && mail.text === null) {
    mail.text = decodeCharset(bytes, contentType.params['charset']);
  } else if (!isAttachment && contentType.type === 'text/html' && mail.html === null) {
    mail.html = decodeCharset(bytes, contentType.params['charset']);
  } else {
    mail.attachments.push({ filename, contentType: contentType.type, size: bytes.length });
  }
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  const lines = body.split(/\r?\n/);
  let current: string[] | null = null;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (trimmed === delimiter || trimmed === `${delimiter}--`) {
      if (current) parts.push(current.join('\r\n'));
      current = trimmed === delimiter ? [] : null;
      if (current === null) break;
    } else if (current) {
      current.push(line);
    }
  }
  return parts;
}

export function parseContentType(value: string): ContentType {
  const [type = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq <= 0) continue;
    const key = param.slice(0, eq).trim().toLowerCase();
    params[key] = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

function decodeTransferEncoding(body: string, encoding: string): Buffer {
  switch (encoding.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body, 'latin1');
  }
}

export function decodeQuotedPrintable(body: string): Buffer {
  const unwrapped = body.replace(/[ \t]+(?=\r?\n)/g, '').replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unwrapped.length; i++) {
    const hex = unwrapped.slice(i + 1, i + 3);
    if (unwrapped[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(unwrapped.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset.toLowerCase() === 'us-ascii' ? 'utf-8' : charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Headers may carry raw UTF-8 (SMTPUTF8) and RFC 2047 words like `=?UTF-8?Q?Ihr_Code?=`. */
export function decodeHeader(latin1Value: string): string {
  const value = Buffer.from(latin1Value, 'latin1').toString('utf8');
  return value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_word, charset: string, kind: string, text: string) => {
      const bytes =
        kind.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : decodeQuotedPrintable(text.replace(/_/g, ' '));
      return decodeCharset(bytes, charset.replace(/\*.*$/, ''));
    });
}
