import type { TelephonyCatalog } from './telephony-catalog';

const expiry = (minutes: number): string =>
  minutes < 1 ? 'It expires in less than a minute.' : `It expires in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`;

export const en: TelephonyCatalog = {
  voiceLanguages: ['en-US', 'en-GB'],
  sms: (issuer, code, purpose, minutesLeft) =>
    purpose === 'enrollment'
      ? `Your ${issuer} code to confirm this phone number is ${code}. ${expiry(minutesLeft)}`
      : `Your ${issuer} verification code is ${code}. ${expiry(minutesLeft)}`,
  voiceIntro: (issuer, purpose) =>
    purpose === 'enrollment'
      ? `Hello. This call confirms your phone number for ${issuer}. Your code is:`
      : `Hello. Your ${issuer} verification code is:`,
  voiceRepeat: () => 'Once again, your code is:',
  voiceGoodbye: () => 'Goodbye.',
};
