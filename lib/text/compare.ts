/**
 * Orders names as a person reads them, without the locale machinery: a run of digits compares by its number
 * (`gpiochip2` before `gpiochip10`, `pi-9` before `pi-10`), any other character by its code with letters
 * folded to lower case (`alpha` before `Beta`), and the exact characters break ties, so two names compare
 * equal only when they are the same string. Total and transitive, so it is a valid `sort` comparator.
 *
 * Why not `localeCompare(b, "en", { numeric: true })`: its first call loads ICU's collation, about 1.7 MB of
 * RSS that a long-running process (the daemon on a board with several GPIO chips, `disco hosts --watch`)
 * keeps for nothing, and its order depends on the runtime's locale data. Names here are machine names.
 */
export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      // Two numbers: the one with more significant digits is larger; else digit by digit.
      const [si, ei] = digitRun(a, i);
      const [sj, ej] = digitRun(b, j);
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    const d = fold(ca) - fold(cb);
    if (d !== 0) return d;
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  // The same up to case and leading zeros: the exact characters decide.
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** A letter A-Z as its lower-case code; any other code unit as itself. */
function fold(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** The significant digits of the run starting at `from`: [first non-zero digit (or the run's end), end]. */
function digitRun(s: string, from: number): [number, number] {
  let end = from;
  while (end < s.length && isDigit(s.charCodeAt(end))) end++;
  let start = from;
  while (start < end && s.charCodeAt(start) === 0x30) start++;
  return [start, end];
}
