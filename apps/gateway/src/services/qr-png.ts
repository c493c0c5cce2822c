import { crc32, deflateSync } from 'node:zlib';
import { create } from 'qrcode';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MODULE_PIXELS = 6;
const QUIET_ZONE_MODULES = 4;

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A QR code of `text` as a black-on-white grayscale PNG, with the quiet zone scanners need.
 * The matrix comes from `qrcode`; the PNG is written here with zlib, which is a few lines and
 * far quicker than a general image library for a two-colour picture.
 */
export function qrPng(text: string): Buffer {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const side = (modules.size + 2 * QUIET_ZONE_MODULES) * MODULE_PIXELS;
  const rowBytes = side + 1; // a filter byte, then one byte a pixel
  const raw = Buffer.alloc(rowBytes * side, 0xff);
  for (let y = 0; y < side; y++) {
    raw[y * rowBytes] = 0; // filter: none
    const moduleY = Math.floor(y / MODULE_PIXELS) - QUIET_ZONE_MODULES;
    if (moduleY < 0 || moduleY >= modules.size) continue;
    for (let x = 0; x < side; x++) {
      const moduleX = Math.floor(x / MODULE_PIXELS) - QUIET_ZONE_MODULES;
      if (moduleX >= 0 && moduleX < modules.size && modules.get(moduleY, moduleX)) raw[y * rowBytes + 1 + x] = 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale, deflate, no interlace
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
