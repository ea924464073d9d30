/**
 * Converts `YYYY-MM-DD` to the Date Prisma stores in a `date` column (UTC midnight).
 * @returns a Date at 00:00Z of that day
 */
export function isoToDbDate(iso: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) throw new RangeError(`not an ISO date: ${iso}`);
  return new Date(`${iso}T00:00:00.000Z`);
}

/**
 * Converts a `date` column value back to `YYYY-MM-DD`.
 * @returns the ISO date
 */
export function dbDateToIso(date: Date): string {
  return date.toISOString().slice(0, 10);
}
