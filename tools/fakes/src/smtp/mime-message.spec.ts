import { decodeHeader, parseMail } from './mime-message';

describe('parseMail', () => {
  it('reads nested multiparts with quoted-printable and latin-1 parts', () => {
    const raw = [
      'From: a@example.com',
      'Subject: =?UTF-8?Q?Ihr_Code_f=C3=BCr?=',
      '  =?UTF-8?B?IE3DvG5jaGVu?=',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'preamble',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'G=FCltig f=FCr 5 Minuten, ein sehr langer Satz der umgebrochen =',
      'wird.',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>Gültig</p>',
      '--inner--',
      '--outer',
      'Content-Type: application/pdf; name="a.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0=',
      '--outer--',
      '',
    ].join('\r\n');

    const mail = parseMail(Buffer.from(raw, 'utf8'));

    expect(mail.subject).toBe('Ihr Code für München');
    expect(mail.text).toBe('Gültig für 5 Minuten, ein sehr langer Satz der umgebrochen wird.');
    expect(mail.html).toBe('<p>Gültig</p>');
    expect(mail.attachments).toEqual([{ filename: 'a.pdf', contentType: 'application/pdf', size: 5 }]);
  });

  it('treats a mail without Content-Type as plain text, without the line break that ends DATA', () => {
    expect(parseMail(Buffer.from('Subject: hi\r\n\r\nline 1\r\nline 2\r\n')).text).toBe('line 1\r\nline 2');
  });

  it('keeps raw UTF-8 header text', () => {
    expect(decodeHeader(Buffer.from('Grüße', 'utf8').toString('latin1'))).toBe('Grüße');
  });
});
