import type { CodeEmailCatalog } from './code-email-catalog';

export const de: CodeEmailCatalog = {
  subject: (issuer) => `Ihr Bestätigungscode für ${issuer}`,
  preview: (issuer) => `Ihr Bestätigungscode für ${issuer} steht in dieser E-Mail.`,
  intro: (issuer, purpose) =>
    purpose === 'enrollment'
      ? `Mit diesem Code bestätigen Sie diese E-Mail-Adresse für ${issuer}:`
      : `Mit diesem Code schließen Sie die Anmeldung bei ${issuer} ab:`,
  lifetime: (minutes) => `Der Code ist ${minutes} ${minutes === 1 ? 'Minute' : 'Minuten'} gültig.`,
  ignore: (purpose) =>
    purpose === 'enrollment'
      ? 'Wenn Sie diese E-Mail-Adresse nicht hinzugefügt haben, können Sie diese Nachricht ignorieren.'
      : 'Wenn Sie nicht versucht haben, sich anzumelden, können Sie diese Nachricht ignorieren.',
  doNotShare: (issuer) => `Geben Sie diesen Code nicht weiter. ${issuer} wird Sie niemals danach fragen.`,
};
