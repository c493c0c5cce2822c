const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

/**
 * How many SMS segments Twilio bills for `body`: GSM-7 fits 160 septets (153 per part when
 * concatenated); anything outside GSM-7 switches the whole message to UCS-2, 70 (67) units.
 * Localized codes ("Ihr Code lautet …") cross that line easily, so the number is worth faking.
 */
export function countSegments(body: string): number {
  let septets = 0;
  for (const ch of body) {
    if (GSM7_BASIC.includes(ch)) septets += 1;
    else if (GSM7_EXTENSION.includes(ch)) septets += 2;
    else return segmentsFor(body.length, 70, 67);
  }
  return segmentsFor(septets, 160, 153);
}

function segmentsFor(units: number, single: number, perPart: number): number {
  if (units === 0) return 1;
  return units <= single ? 1 : Math.ceil(units / perPart);
}
