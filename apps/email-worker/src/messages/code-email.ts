import type { ChallengePurpose } from '@mfa/queue';
import { escapeHtml } from './html-escape';
import { catalogFor, resolveLanguage, type MessageLanguage } from './message-locale';

export interface CodeEmailInput {
  code: string;
  issuer: string;
  locale: string | undefined;
  purpose: ChallengePurpose;
  ttlSeconds: number;
}

export interface CodeEmail {
  language: MessageLanguage;
  /** Never holds the code: subjects show on lock screens and in notification previews. */
  subject: string;
  text: string;
  html: string;
}

/** One line, no control characters: the issuer ends up in a header and in a preview line. */
const singleLine = (value: string): string => value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/** Renders the one-time-code e-mail: plain text and HTML bodies with the same sentences. */
export function renderCodeEmail(input: CodeEmailInput): CodeEmail {
  const language = resolveLanguage(input.locale);
  const t = catalogFor(language);
  const issuer = singleLine(input.issuer);
  const minutes = Math.max(1, Math.ceil(input.ttlSeconds / 60));
  const code = input.code;

  const intro = t.intro(issuer, input.purpose);
  const lifetime = t.lifetime(minutes);
  const ignore = t.ignore(input.purpose);
  const doNotShare = t.doNotShare(issuer);

  const text = [intro, '', `    ${code}`, '', lifetime, '', doNotShare, ignore, '', `— ${issuer}`, ''].join('\n');

  const e = escapeHtml;
  const paragraph = (sentence: string, style = 'margin:0 0 16px') => `<p style="${style}">${e(sentence)}</p>`;
  const html = [
    '<!DOCTYPE html>',
    `<html lang="${e(language)}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(t.subject(issuer))}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif;color:#1f2328">',
    `<div style="display:none;max-height:0;overflow:hidden">${e(t.preview(issuer))}</div>`,
    '<div style="max-width:480px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">',
    paragraph(intro),
    `<p style="margin:0 0 16px;font-size:32px;font-weight:bold;letter-spacing:6px;font-family:Menlo,Consolas,monospace">${e(code)}</p>`,
    paragraph(lifetime),
    paragraph(doNotShare),
    paragraph(ignore, 'margin:0 0 16px;color:#57606a;font-size:14px'),
    paragraph(`— ${issuer}`, 'margin:0;color:#57606a;font-size:14px'),
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');

  return { language, subject: t.subject(issuer), text, html };
}
