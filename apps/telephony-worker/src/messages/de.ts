import type { TelephonyCatalog } from './telephony-catalog';

const expiry = (minutes: number): string =>
  minutes < 1 ? 'Er läuft in weniger als einer Minute ab.' : `Er läuft in ${minutes} ${minutes === 1 ? 'Minute' : 'Minuten'} ab.`;

export const de: TelephonyCatalog = {
  voiceLanguages: ['de-DE'],
  sms: (issuer, code, purpose, minutesLeft) =>
    purpose === 'enrollment'
      ? `Ihr Code zur Bestätigung dieser Telefonnummer bei ${issuer} lautet ${code}. ${expiry(minutesLeft)}`
      : `Ihr Bestätigungscode für ${issuer} lautet ${code}. ${expiry(minutesLeft)}`,
  voiceIntro: (issuer, purpose) =>
    purpose === 'enrollment'
      ? `Hallo. Mit diesem Anruf bestätigen Sie Ihre Telefonnummer bei ${issuer}. Ihr Code lautet:`
      : `Hallo. Ihr Bestätigungscode für ${issuer} lautet:`,
  voiceRepeat: () => 'Noch einmal, Ihr Code lautet:',
  voiceGoodbye: () => 'Auf Wiederhören.',
};
