/** Keeps the last four digits so a developer can tell numbers apart in logs without exposing them. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length <= 4 ? '****' : `***${digits.slice(-4)}`;
}
