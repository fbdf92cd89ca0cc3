/** Orderings shared by drivers and records. */

/**
 * Compares two strings by Unicode code point (the same order as UTF-8 bytes and Python's `sorted`).
 * JavaScript's default `<` compares UTF-16 code units, which differs above U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800-DFFF) encode code points above FFFF, so they sort after E000-FFFF.
    if (x >= 0xd800 && y >= 0xd800) return fixUp(x) - fixUp(y);
    return x - y;
  }
  return a.length - b.length;
}

function fixUp(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
