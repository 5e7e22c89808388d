/**
 * What a message may carry of user-controlled text (a path, a spec key or value, a file's bytes):
 * control characters and bidirectional overrides are escaped (`\u001b`), so a spec or a binary file
 * cannot move the cursor, clear a terminal or forge a line of output.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** `text` with every control character written as `\uXXXX`; newlines included. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `text` as {@link printable}, keeping its line breaks (a message of several lines written by cdk-mlops). */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
