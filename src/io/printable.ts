/**
 * Text from a file as it appears in an error message: control characters escaped (a binary or
 * hostile file cannot write terminal escape sequences or NULs to stderr) and at most `max`
 * characters (a 1 MB token does not make a 1 MB error line).
 */
export function printable(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
  let out = '';
  for (const ch of cut) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}
