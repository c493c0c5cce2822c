import type { CodeEmailCatalog } from './code-email-catalog';

export const en: CodeEmailCatalog = {
  subject: (issuer) => `Your ${issuer} verification code`,
  preview: (issuer) => `Your verification code for ${issuer} is inside.`,
  intro: (issuer, purpose) =>
    purpose === 'enrollment'
      ? `Use this code to confirm this e-mail address for ${issuer}:`
      : `Use this code to finish signing in to ${issuer}:`,
  lifetime: (minutes) => `The code is valid for ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`,
  ignore: (purpose) =>
    purpose === 'enrollment'
      ? 'If you did not add this e-mail address, you can ignore this message.'
      : 'If you did not try to sign in, you can ignore this message.',
  doNotShare: (issuer) => `Do not share this code with anyone. ${issuer} will never ask you for it.`,
};
