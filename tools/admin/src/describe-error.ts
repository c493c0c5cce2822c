/** One line for the operator, whatever was thrown (driver errors, AggregateError, strings). */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0 && !error.message) {
    return describeError(error.errors[0]);
  }
  if (error instanceof Error) {
    const firstLine = error.message.split('\n')[0].trim();
    if (firstLine) return firstLine;
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}
