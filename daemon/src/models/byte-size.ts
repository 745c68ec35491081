/** A download's size in words, for the first-run choice: gigabytes (10^9 bytes) to two significant figures. */
export function downloadPhrase(bytes: number): string {
  return `a download of about ${Number((bytes / 1e9).toPrecision(2))} GB`;
}
