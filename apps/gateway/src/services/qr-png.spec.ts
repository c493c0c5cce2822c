import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { qrPng } from './qr-png';

describe('qrPng', () => {
  it.each([
    'otpauth://totp/MFA%20Gateway:alice%40example.com?secret=S4TBMOMNSOZRC2MBCTZSQTWGAOLON4TN&issuer=MFA%20Gateway&algorithm=SHA1&digits=6&period=30',
    'mfa-push://enroll?v=1&ticket=abc&base_url=http%3A%2F%2F127.0.0.1%3A3000&issuer=MFA%20Gateway&label=alice',
  ])('writes a PNG that a QR scanner reads back as the same text (%#)', (text) => {
    const image = PNG.sync.read(qrPng(text));
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(text);
  });
});
